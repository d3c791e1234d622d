"""Who the client is: the address the last of exactly TRUSTED_PROXIES reverse proxies saw.

Behind a reverse proxy every request comes from the proxy's address, so rate limits and the
audit trail would see one client. ProxyFix takes the client from X-Forwarded-For (and the scheme
from X-Forwarded-Proto), trusting as many entries from the right as there are proxies of ours;
with 0 (the default) the headers are ignored, because a client could write them itself.
"""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops < 0:
        raise RuntimeError("TRUSTED_PROXIES must be 0 or more")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
