"""Finance review: the queue of submitted projects, decisions (approve / return), reviewer adjustments."""
