"""Pages of the charter, under /t/<territoire_slug>/charte/."""

from django.urls import path

from charte import views

app_name = "charte"

urlpatterns = [
    path("", views.CharteView.as_view(), name="charte"),
    path("commencer/", views.StartView.as_view(), name="start"),
    path("brouillon/", views.DraftView.as_view(), name="draft"),
    path("brouillon/nouveau/", views.DraftStartView.as_view(), name="draft_start"),
    path("brouillon/regles/", views.ReglesView.as_view(), name="regles"),
    path("brouillon/soumettre/", views.SubmitView.as_view(), name="submit"),
    path("brouillon/sections/ajouter/", views.SectionAddView.as_view(), name="section_add"),
    path("brouillon/sections/<int:section_id>/", views.SectionEditView.as_view(), name="section"),
    path("versions/", views.VersionsView.as_view(), name="versions"),
    path("versions/<int:number>/", views.VersionView.as_view(), name="version"),
    path("versions/<int:number>/markdown/", views.VersionMarkdownView.as_view(), name="version_markdown"),
    path("versions/<int:number>/comparer/<int:other>/", views.DiffView.as_view(), name="diff"),
    path("versions/<int:number>/signer/", views.SignView.as_view(), name="sign"),
    path("versions/<int:number>/ratifier/", views.RatifyView.as_view(), name="ratify"),
    path(
        "ratifications/<int:ratification_id>/deliberation.pdf",
        views.RatificationPdfView.as_view(),
        name="ratification_pdf",
    ),
    path("amendements/", views.AmendementsView.as_view(), name="amendements"),
    path("amendements/nouveau/", views.AmendementCreateView.as_view(), name="amendement_create"),
    path("amendements/<int:amendement_id>/", views.AmendementView.as_view(), name="amendement"),
    path("amendements/<int:amendement_id>/reprendre/", views.AmendementRebaseView.as_view(), name="amendement_rebase"),
]
