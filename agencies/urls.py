from django.urls import path

from . import views, views_agreements, views_programs

# Mounted under /<continuum_slug>/ by hmis_onboarding.urls.
urlpatterns = [
    path("", views.tenant_home, name="tenant_home"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/new/", views.agency_create, name="agency_create"),
    path("agencies/<int:agency_id>/", views.agency_detail, name="agency_detail"),
    path("agencies/<int:agency_id>/edit/", views.agency_edit, name="agency_edit"),
    path("agencies/<int:agency_id>/atas/", views.agency_designate_ata, name="agency_designate_ata"),
    path(
        "agencies/<int:agency_id>/atas/<int:membership_id>/remove/",
        views.agency_remove_ata,
        name="agency_remove_ata",
    ),
    path(
        "agencies/<int:agency_id>/agreements/<int:agreement_type_id>/sign/",
        views_agreements.agreement_sign,
        name="agreement_sign",
    ),
    path(
        "agencies/<int:agency_id>/agreements/<int:agreement_type_id>/upload/",
        views_agreements.agreement_upload,
        name="agreement_upload",
    ),
    path("agencies/<int:agency_id>/programs/new/", views_programs.program_create, name="program_create"),
    path(
        "agencies/<int:agency_id>/program-setup/new/",
        views_programs.program_setup_new,
        name="program_setup_new",
    ),
    path("agencies/<int:agency_id>/hrs-host/approve/", views.hrs_host_approve, name="hrs_host_approve"),
    path("agreements/", views_agreements.agreement_queue, name="agreement_queue"),
    path("agreements/<int:agreement_id>/", views_agreements.agreement_detail, name="agreement_detail"),
    path(
        "agreements/<int:agreement_id>/countersign/",
        views_agreements.agreement_countersign,
        name="agreement_countersign",
    ),
    path("agreements/<int:agreement_id>/return/", views_agreements.agreement_return, name="agreement_return"),
    path(
        "agreements/<int:agreement_id>/document/",
        views_agreements.agreement_document,
        name="agreement_document",
    ),
    path(
        "agreements/<int:agreement_id>/executed-document/",
        views_agreements.agreement_executed_document,
        name="agreement_executed_document",
    ),
    path("programs/", views_programs.program_list, name="program_list"),
    path("programs/<int:project_id>/edit/", views_programs.program_edit, name="program_edit"),
    path("program-setup/", views_programs.program_setup_queue, name="program_setup_queue"),
    path("program-setup/<int:request_id>/", views_programs.program_setup_detail, name="program_setup_detail"),
    path(
        "program-setup/<int:request_id>/start/",
        views_programs.program_setup_start,
        name="program_setup_start",
    ),
    path(
        "program-setup/<int:request_id>/complete/",
        views_programs.program_setup_complete,
        name="program_setup_complete",
    ),
    path(
        "program-setup/<int:request_id>/confirm/",
        views_programs.program_setup_confirm,
        name="program_setup_confirm",
    ),
    path(
        "program-setup/<int:request_id>/problem/",
        views_programs.program_setup_problem,
        name="program_setup_problem",
    ),
    path(
        "program-setup/<int:request_id>/cancel/",
        views_programs.program_setup_cancel,
        name="program_setup_cancel",
    ),
    path("hrs-hosts/", views.hrs_host_list, name="hrs_host_list"),
    path("hrs-hosts/<int:host_id>/revoke/", views.hrs_host_revoke, name="hrs_host_revoke"),
    path("settings/", views.continuum_settings, name="continuum_settings"),
    path("settings/agreements/", views_agreements.agreement_type_list, name="agreement_type_list"),
    path("settings/agreements/new/", views_agreements.agreement_type_edit, name="agreement_type_new"),
    path(
        "settings/agreements/<int:agreement_type_id>/",
        views_agreements.agreement_type_edit,
        name="agreement_type_edit",
    ),
    path(
        "settings/agreements/<int:agreement_type_id>/versions/new/",
        views_agreements.agreement_version_new,
        name="agreement_version_new",
    ),
]
