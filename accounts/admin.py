"""Django admin for agents and tokens. Creating an agent shows its token once; tokens are revoked, never edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone

from billing.money import parse_usd, usd_str

from .models import Agent, ApiToken
from .services import agent_create


class TokenInline(admin.TabularInline):
    model = ApiToken
    fk_name = "agent"
    fields = ("id", "kind", "prefix", "label", "scopes", "created_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AgentCreateForm(forms.ModelForm):
    grant_usd = forms.CharField(initial="0.20", help_text="Starting virtual USD, booked as a grant ledger entry.")

    class Meta:
        model = Agent
        fields = ("name",)

    def clean_grant_usd(self) -> int:
        try:
            return parse_usd(self.cleaned_data["grant_usd"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class AdjustmentForm(forms.Form):
    amount_usd = forms.CharField(help_text='Signed amount, e.g. "0.50" or "-0.10".')
    reason = forms.CharField(max_length=255)

    def clean_amount_usd(self) -> int:
        raw = self.cleaned_data["amount_usd"].strip()
        sign = -1 if raw.startswith("-") else 1
        try:
            micros = parse_usd(raw.lstrip("+-"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if micros == 0:
            raise forms.ValidationError("The amount must not be zero.")
        return sign * micros


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "balance", "created_at")
    search_fields = ("id", "name")
    readonly_fields = ("id", "balance", "created_at")
    inlines = [TokenInline]
    ordering = ("-created_at",)

    @admin.display(description="Virtual balance")
    def balance(self, obj: Agent) -> str:
        return f"${usd_str(obj.balance_micros)}"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = AgentCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if obj else []

    def save_model(self, request: HttpRequest, obj: Agent, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        agent, token = agent_create(name=form.cleaned_data["name"], grant_micros=form.cleaned_data["grant_usd"])
        obj.pk = agent.pk
        obj.refresh_from_db()
        messages.warning(request, f"Admin bearer for {agent.name} — shown once, copy it now: {token}")

    def get_urls(self) -> list:
        return [
            path("<str:agent_id>/adjust/", self.admin_site.admin_view(self.adjust_view), name="accounts_agent_adjust"),
            *super().get_urls(),
        ]

    def adjust_view(self, request: HttpRequest, agent_id: str) -> HttpResponse:
        from billing.services import InsufficientBalance, staff_adjustment

        agent = get_object_or_404(Agent, pk=agent_id)
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                staff_adjustment(agent_id=agent.id, amount_micros=form.cleaned_data["amount_usd"],
                                 reason=form.cleaned_data["reason"], staff_username=request.user.get_username())
            except InsufficientBalance:
                form.add_error("amount_usd", "That would take the balance below zero.")
            else:
                messages.success(request, "Adjustment booked.")
                return HttpResponseRedirect(reverse("admin:accounts_agent_change", args=[agent.pk]))
        context = {**self.admin_site.each_context(request), "agent": agent, "form": form,
                   "title": f"Adjust balance of {agent.name}", "opts": self.model._meta}
        return render(request, "admin/accounts/agent_adjust.html", context)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "prefix", "agent", "user", "label", "created_at", "revoked_at")
    list_filter = ("kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("id", "prefix", "label", "agent__name", "agent__id", "user__username")
    readonly_fields = ("id", "kind", "agent", "user", "prefix", "scopes", "created_at", "revoked_at")
    fields = ("id", "kind", "agent", "user", "prefix", "label", "scopes", "created_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are minted by services (agent creation, usage keys, create_staff_token)

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")
