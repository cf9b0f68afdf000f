"""Shared bits of the admin's report pages: a table that renders as HTML or downloads as CSV."""

import csv
from dataclasses import dataclass

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import slugify


@dataclass(frozen=True)
class ReportTable:
    title: str
    headers: list[str]
    rows: list[list]
    notes: str = ""


def report_response(request, admin_site, *, opts, table: ReportTable, back_url: str, extra=None):
    """The report as a page, or as CSV when `?format=csv` is asked for."""
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slugify(table.title)}.csv"'
        writer = csv.writer(response)
        writer.writerow(table.headers)
        writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)
        return response
    context = {
        **admin_site.each_context(request),
        "opts": opts,
        "title": table.title,
        "table": table,
        "back_url": back_url,
        **(extra or {}),
    }
    return TemplateResponse(request, "admin/quizapp_report.html", context)
