"""The waiting room and appointments (URL names ``queue:…``): the kiosk and a ticket's place under ``/quay-so/``,
the display board under ``/man-hinh/``, booking a slot under ``/dat-lich/``."""

from django.urls import path

from motcua.portal.views import appointments, queue

app_name = "queue"

urlpatterns = [
    path("quay-so/ve/<str:token>/", queue.ticket, name="ticket"),
    path("quay-so/<str:agency_code>/", queue.kiosk, name="kiosk"),
    path("quay-so/<str:agency_code>/lich-hen/", queue.check_in, name="check_in"),
    path("man-hinh/<str:agency_code>/", queue.display, name="display"),
    path("dat-lich/", appointments.book, name="book"),
    path("dat-lich/cua-toi/", appointments.mine, name="my_appointments"),
    path("dat-lich/<str:token>/", appointments.appointment, name="appointment"),
    path("dat-lich/<str:token>/huy/", appointments.cancel, name="cancel_appointment"),
]
