"""URLs of the passkeys app, under the namespace ``passkeys``. ``ciam.urls`` includes them at
``/accounts/passkeys/`` when the app is installed."""

from django.urls import path

from .views import manage, sign_in, signup

app_name = "passkeys"

urlpatterns = [
    # Sign-in (button and autofill).
    path("login/options/", sign_in.login_options, name="login_options"),
    path("login/", sign_in.login, name="login"),
    path("outcome/", sign_in.outcome, name="outcome"),
    # Step-up during a paused sign-in.
    path("step-up/options/", sign_in.step_up_options, name="step_up_options"),
    path("step-up/", sign_in.step_up, name="step_up"),
    # Re-confirming before a sensitive change.
    path("reauthenticate/", sign_in.reauthenticate_page, name="reauthenticate"),
    path("reauthenticate/options/", sign_in.reauthenticate_options, name="reauthenticate_options"),
    path("reauthenticate/verify/", sign_in.reauthenticate, name="reauthenticate_verify"),
    # Managing one's passkeys.
    path("add/", manage.add, name="add"),
    path("add/options/", manage.register_options, name="register_options"),
    path("add/verify/", manage.register, name="register"),
    path("<int:pk>/rename/", manage.rename, name="rename"),
    path("<int:pk>/remove/", manage.remove, name="remove"),
    # Passwordless sign-up.
    path("signup/", signup.signup_page, name="signup"),
    path("signup/options/", signup.signup_options, name="signup_options"),
    path("signup/verify/", signup.signup, name="signup_verify"),
]
