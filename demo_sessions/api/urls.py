from support_project.api.routers import ApiRouter

from . import attachment_views, views

router = ApiRouter()
router.register("demo/sessions", views.SessionViewSet, basename="demo-sessions")
router.register("attachments", attachment_views.AttachmentViewSet, basename="attachments")

urlpatterns = router.urls
