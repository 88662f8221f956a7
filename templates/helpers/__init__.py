"""Helper source pasted into generated modules (see base.py)."""
