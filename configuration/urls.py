from django.urls import path

from . import views_catalogue as catalogue
from . import views_people as people
from . import views_transfer as transfer

app_name = "configuration"

urlpatterns = [
    path("", catalogue.index, name="index"),
    path("desks/new/", catalogue.desk_new, name="desk_new"),
    path("desks/order/", catalogue.desks_order, name="desks_order"),
    path("desks/<int:desk_id>/", catalogue.desk_edit, name="desk_edit"),
    path("desks/<int:desk_id>/teams/", catalogue.team_add, name="team_add"),
    path("desks/<int:desk_id>/groups/", catalogue.group_add, name="group_add"),
    path("desks/<int:desk_id>/groups/order/", catalogue.groups_order, name="groups_order"),
    path("desks/<int:desk_id>/types/new/", catalogue.type_new, name="type_new"),
    path("groups/<int:group_id>/", catalogue.group_edit, name="group_edit"),
    path("groups/<int:group_id>/order/", catalogue.types_order, name="types_order"),
    path("types/<int:type_id>/", catalogue.type_edit, name="type_edit"),
    path("types/<int:type_id>/preview/", catalogue.type_preview, name="type_preview"),
    path("types/<int:type_id>/fields/", catalogue.field_add, name="field_add"),
    path("types/<int:type_id>/fields/order/", catalogue.fields_order, name="fields_order"),
    path("fields/<int:field_id>/", catalogue.field_edit, name="field_edit"),
    path("fields/<int:field_id>/preview/", catalogue.field_preview, name="field_preview"),
    path("people/", people.people_index, name="people"),
    path("people/organisations/new/", people.organization_new, name="organization_new"),
    path("people/organisations/<int:organization_id>/", people.organization_edit, name="organization_edit"),
    path("people/organisations/<int:organization_id>/members/", people.member_add, name="member_add"),
    path("people/memberships/<int:membership_id>/", people.membership_edit, name="membership_edit"),
    path("people/<int:user_id>/", people.person_detail, name="person_detail"),
    path("people/<int:user_id>/deactivate/", people.person_deactivate, name="person_deactivate"),
    path("people/<int:user_id>/reactivate/", people.person_reactivate, name="person_reactivate"),
    path("offboarding/<reference:reference>/", people.offboard, name="offboard"),
    path("catalogue-file/", transfer.catalogue_file, name="catalogue_file"),
    path("catalogue-file/catalogue.<str:fmt>", transfer.catalogue_download, name="catalogue_download"),
]
