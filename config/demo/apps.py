from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "config.demo"
    label = "ciam_demo"
    verbose_name = "Reference site"
