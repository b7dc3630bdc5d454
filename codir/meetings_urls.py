"""Pages of instances and CoDir meetings, under /t/<territoire_slug>/reunions/ (the project urls are codir/urls.py)."""

from django.urls import path

from codir import views

app_name = "codir"

urlpatterns = [
    path("", views.CalendarView.as_view(), name="calendar"),
    path("nouvelle/", views.ReunionCreateView.as_view(), name="reunion_create"),
    path("<int:reunion_id>/", views.ReunionView.as_view(), name="reunion"),
    path("<int:reunion_id>/points/", views.PointAddView.as_view(), name="point_add"),
    path("<int:reunion_id>/pris-connaissance/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("instances/nouvelle/", views.InstanceCreateView.as_view(), name="instance_create"),
    path("instances/<int:instance_id>/", views.InstanceView.as_view(), name="instance"),
    path("documents/<int:document_id>/", views.DocumentView.as_view(), name="document"),
]
