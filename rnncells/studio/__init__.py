"""The melody studio: a web page for producers (app.py) and its server (server.py)."""
