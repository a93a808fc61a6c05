from django.urls import path

from . import views, views_config

# Mounted under /<continuum_slug>/ by hmis_onboarding.urls.
urlpatterns = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/advice/", views.request_advice, name="request_advice"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/summary.pdf", views.request_summary_pdf, name="request_summary_pdf"),
    path("requests/<int:request_id>/<slug:action>/", views.request_action, name="request_action"),
    path("queue/<slug:queue_slug>/", views.queue, name="request_queue"),
    path("pathway/", views_config.pathway, name="pathway_config"),
    path("pathway/forms/<int:type_id>/", views_config.request_type_edit, name="pathway_request_type"),
    path("pathway/ces-roles/", views_config.ces_matrix, name="pathway_ces_matrix"),
    path("pathway/credential-policy/", views_config.credential_policy, name="credential_policy_config"),
    path("pathway/agreements/", views_config.agreements, name="agreements_config"),
    path("pathway/agreements/<str:kind>/new/", views_config.agreement_publish, name="agreement_publish"),
    path("pathway/rubric/", views_config.rubric, name="rubric_config"),
    path("pathway/rubric/new/", views_config.rubric_element_new, name="rubric_element_new"),
    path("pathway/rubric/<int:element_id>/", views_config.rubric_element_edit, name="rubric_element_edit"),
]

from . import views_credentials as credential_views  # noqa: E402

urlpatterns += [
    path("my-access/", credential_views.my_access, name="my_access"),
    path(
        "my-access/<int:onboarding_id>/<slug:action>/",
        credential_views.my_access_action,
        name="my_access_action",
    ),
    path("agreements/end-user/<int:signature_id>.pdf", credential_views.eua_document, name="eua_document"),
    path(
        "my-access/hrs-agreement/<int:onboarding_id>/",
        credential_views.hrs_agreement_sign,
        name="hrs_agreement_sign",
    ),
    path(
        "agreements/hrs/<int:signature_id>.pdf",
        credential_views.hrs_agreement_document,
        name="hrs_agreement_document",
    ),
    path("ce-approvals/", credential_views.ce_approvals, name="ce_approvals"),
    path("ce-approvals/<int:onboarding_id>/", credential_views.ce_approval, name="ce_approval"),
    path("sample-clients/", credential_views.sample_client_queue, name="sample_client_queue"),
    path(
        "sample-clients/rounds/<int:round_id>/",
        credential_views.sample_client_review,
        name="sample_client_review",
    ),
    path(
        "onboarding/<int:onboarding_id>/confirm-training/",
        credential_views.onboarding_confirm_training,
        name="onboarding_confirm_training",
    ),
    path(
        "onboarding/<int:onboarding_id>/credential/",
        credential_views.credential_issue,
        name="credential_issue",
    ),
    path("licenses/", credential_views.licenses, name="licenses"),
    path(
        "licenses/accounts/<int:account_id>/offboard/",
        credential_views.hmis_account_offboard,
        name="hmis_account_offboard",
    ),
    path("access-reviews/", credential_views.access_reviews, name="access_reviews"),
    path("access-reviews/open/", credential_views.access_review_open, name="access_review_open"),
    path(
        "access-reviews/items/<int:item_id>/",
        credential_views.access_review_decide,
        name="access_review_decide",
    ),
]
