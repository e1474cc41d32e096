"""What the household keeps and shares: the SQLite store, people, history and reports."""
