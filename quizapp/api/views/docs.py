"""Swagger UI from the bundled sidecar files, under the site's Content Security Policy."""

from drf_spectacular.views import SpectacularSwaggerView


class ApiDocsView(SpectacularSwaggerView):
    """The stock page needs an inline script and an inline style, which the policy
    (`script-src 'self' 'nonce-…'`, `style-src 'self'`) blocks. This template gives the script
    the request's nonce and moves the style into a static file, so the policy stays strict."""

    template_name = "api/swagger_ui.html"
