"""What both roles share: templating, forms, auth, CSRF, errors, caching, static files."""
