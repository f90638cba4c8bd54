"""Demo data at any scale (``jixiao demo-data``): generated 绩效目标表 in the seed's
published layout, plausible actuals and budget figures, loaded through the import and entry
services. ``tables``/``values``/``render``/``actuals`` are pure; ``load`` writes to the database.
"""
