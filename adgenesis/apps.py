from django.apps import AppConfig


class AdgenesisConfig(AppConfig):
    name = "adgenesis"
    verbose_name = "AdGenesis"
