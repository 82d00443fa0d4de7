"""Views of the passkeys app: signing in and stepping up (``sign_in``), managing one's passkeys
(``manage``), passwordless sign-up (``signup``)."""
