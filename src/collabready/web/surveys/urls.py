from django.urls import path

from collabready.web.surveys import views, views_open, views_optout, views_readiness

app_name = "surveys"

urlpatterns = [
    path("r/<str:token>/", views.token_enter, name="token"),
    path("survey/", views.start, name="start"),
    path("survey/questions/<slug:slug>/", views.question_page, name="page"),
    path("survey/check-your-answers/", views.check_answers, name="check"),
    path("survey/confirmation/", views.confirmation, name="confirmation"),
    path("survey/saved/", views.saved, name="saved"),
    path("survey/sign-out/", views.sign_out, name="sign_out"),
    path("survey/profile/", views_readiness.profile, name="profile"),
    path("survey/profile.pdf", views_readiness.profile_pdf, name="profile_pdf"),
    path("w/<slug:slug>/", views_open.open_start, name="open_start"),
    path("w/<slug:slug>/resume/", views_open.open_resume, name="open_resume"),
    path("o/<str:signed>/", views_optout.opt_out_view, name="opt_out"),
]
