"""What a browser sees: server-rendered pages (Jinja2 templates, one small stylesheet) and
the routes that serve them: the guest's pages, the viewer and its one-time links."""
