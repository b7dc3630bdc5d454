"""The URLs while benchmarking: the project's, and the ceiling view (`manage.py bench` switches to them)."""

from codir.bench import bench_urlpatterns
from codir.urls import urlpatterns as project_urlpatterns

urlpatterns = [*bench_urlpatterns(), *project_urlpatterns]
