"""Shared bits of the admin's report pages: a table that renders as HTML or downloads as CSV."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import slugify

from quizapp.csv_cells import csv_writer


@dataclass(frozen=True)
class ReportLink:
    """A cell that links on the page (to the object it names) and is its text in the CSV."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ReportTable:
    title: str
    headers: list[str]
    rows: list[list]
    notes: str = ""
    page: Page | None = None
    """When the rows are one page of a longer list (see `report_page`): that page."""


def wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def report_page(request, items, *, per_page: int) -> Page | None:
    """The page (``?page=N``) of `items` a report shows on screen, or None for the CSV, which
    holds them all. A page number that is not one (or past the end) gives the first (or last)
    page."""
    if wants_csv(request):
        return None
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def report_response(request, admin_site, *, opts, table: ReportTable, back_url: str, extra=None):
    """The report as a page, or as CSV when `?format=csv` is asked for."""
    if wants_csv(request):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slugify(table.title)}.csv"'
        writer = csv_writer(response)
        writer.writerow(table.headers)
        writer.writerows(table.rows)
        return response
    context = {
        **admin_site.each_context(request),
        "opts": opts,
        "title": table.title,
        "table": table,
        "page": table.page if table.page and table.page.paginator.num_pages > 1 else None,
        "page_range": table.page.paginator.get_elided_page_range(table.page.number)
        if table.page
        else (),
        "back_url": back_url,
        **(extra or {}),
    }
    return TemplateResponse(request, "admin/quizapp_report.html", context)
