"""What the household keeps and shares: the SQLite store, people, history, MQTT and Home Assistant discovery."""
