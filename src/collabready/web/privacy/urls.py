from django.urls import path

from collabready.web.privacy import views

app_name = "privacy"

urlpatterns = [
    path("survey/your-answers/", views.your_answers, name="answers"),
    path("survey/your-answers/delete/", views.delete, name="delete"),
]
