"""Swagger UI from the bundled sidecar files, under the site's Content Security Policy."""

import json

from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView


class ApiDocsView(SpectacularSwaggerView):
    """The stock page needs an inline script and an inline style, which the policy
    (`script-src 'self' 'nonce-…'`, `style-src 'self'`) blocks. This template gives the script
    the request's nonce and moves the style into a static file, so the policy stays strict.

    It also states the page's language and, in the static file, darkens Swagger UI's colours
    to readable contrast; deep links are off because Swagger UI puts each one inside the
    button that opens its operation (a link nested in a button)."""

    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        ui_settings = {**spectacular_settings.SWAGGER_UI_SETTINGS, "deepLinking": False}
        response.data["settings"] = json.dumps(ui_settings, indent=2)
        return response
