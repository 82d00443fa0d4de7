"""django-ciam fraud: risk engine, Sift, login policies, attack protection, security events."""
