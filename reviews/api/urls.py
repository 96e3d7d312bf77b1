"""Routes of the reviews API."""

from rest_framework.routers import SimpleRouter

from reviews.api.views import ReviewViewSet

router = SimpleRouter()
# Clients may POST to .../approve or .../approve/: a slash redirect would drop the POST body.
router.trailing_slash = "/?"
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = router.urls
