"""django-ciam: identity and the login flow (allauth integration, login pipeline, step-up MFA)."""
