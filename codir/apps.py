from django.apps import AppConfig


class CodirConfig(AppConfig):
    name = "codir"
    verbose_name = "CoDir de territoire"

    def ready(self):
        # The map of professional ties (reseaux) shows who takes part in the CoDir; reseaux knows no meeting.
        from django.db.models.signals import post_delete, post_save

        from codir.graph_layer import codir_nodes, codir_ties, presence_changed, reunion_changed
        from codir.models import Presence, Reunion
        from reseaux.graph import register_layer

        register_layer("codir", codir_ties, codir_nodes)
        post_save.connect(presence_changed, sender=Presence, dispatch_uid="codir_presence_graph_saved")
        post_delete.connect(presence_changed, sender=Presence, dispatch_uid="codir_presence_graph_deleted")
        post_save.connect(reunion_changed, sender=Reunion, dispatch_uid="codir_reunion_graph_saved")
