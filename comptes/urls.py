from comptes import proconnect, second_factor

urlpatterns = [*proconnect.urlpatterns, *second_factor.urlpatterns]
