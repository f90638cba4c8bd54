"""HTML pages (Jinja2). They call the same services as the API."""
