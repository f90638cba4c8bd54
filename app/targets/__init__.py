"""Performance targets (绩效目标): the pure value grammar and table parsers, plus import service."""
