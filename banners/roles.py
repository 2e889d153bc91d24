"""The role groups and their permissions: marketers generate and edit, designers approve and curate.

Used by migration 0002 (historical models) and after every flush (post_migrate), so the groups
always exist with exactly these permissions.
"""

MARKETER_PERMISSIONS = [
    ("banners", "add_campaign"),
    ("banners", "change_campaign"),
    ("banners", "view_campaign"),
    ("banners", "add_generationtask"),
    ("banners", "view_generationtask"),
    ("banners", "view_banner"),
    ("banners", "change_banner"),
    ("banners", "add_feedbackevent"),
    ("banners", "add_batch"),
    ("banners", "view_batch"),
    ("banners", "view_format"),
    ("catalog", "view_product"),
    ("catalog", "view_brandkit"),
    ("catalog", "view_bankimage"),
]
DESIGNER_MODELS = {
    "banners": ["format", "campaign", "generationtask", "banner", "bannerapproval", "feedbackevent", "batch"],
    "catalog": ["product", "brandkit", "bankimage", "imagetext", "styleadapter", "stocktopic", "stockrun", "stockshot"],
}
DESIGNER_EXTRA = [("banners", "approve_banner"), ("catalog", "approve_bankimage")]


def designer_permissions() -> list[tuple[str, str]]:
    return [
        (app, f"{action}_{model}")
        for app, models in DESIGNER_MODELS.items()
        for model in models
        for action in ("add", "change", "delete", "view")
    ] + DESIGNER_EXTRA


def groups_ensure(group_model, permission_model) -> None:
    def permissions(pairs):
        # Migration 0002 runs this before later models exist; post_migrate runs it again with all of them.
        found = (
            permission_model.objects.filter(content_type__app_label=app, codename=code).first() for app, code in pairs
        )
        return [permission for permission in found if permission is not None]

    for name, pairs in (("marketers", MARKETER_PERMISSIONS), ("designers", designer_permissions())):
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permissions(pairs))
