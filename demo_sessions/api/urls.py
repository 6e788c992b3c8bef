from support_project.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("demo/sessions", views.SessionViewSet, basename="demo-sessions")

urlpatterns = router.urls
