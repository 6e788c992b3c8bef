"""The Enrich Agent's fixed sentences, in the five languages it understands.

`say(key, lang, **values)` picks the user's language (English when unknown). Quoted cookbook text
stays as written (the recipes are English); everything the agent says around it is translated.
"""

from __future__ import annotations

from typing import Any

PHRASES: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hi! I'm the Enrich Agent. I answer questions about this API from the cookbook (/cookbook) and open "
              "support tickets for you ($0.01 each, follow-ups free). What can I do for you?",
        "es": "¡Hola! Soy el Enrich Agent. Respondo preguntas sobre esta API con el cookbook (/cookbook) y abro "
              "tickets de soporte por ti (0,01 $ cada uno, los seguimientos son gratis). ¿En qué te ayudo?",
        "fr": "Bonjour ! Je suis l'Enrich Agent. Je réponds aux questions sur cette API à partir du cookbook "
              "(/cookbook) et j'ouvre des tickets de support pour vous (0,01 $ chacun, suivis gratuits). "
              "Que puis-je faire pour vous ?",
        "de": "Hallo! Ich bin der Enrich Agent. Ich beantworte Fragen zu dieser API aus dem Cookbook (/cookbook) und "
              "eröffne Support-Tickets für dich (je 0,01 $, Nachfragen kostenlos). Was kann ich für dich tun?",
        "pt": "Olá! Sou o Enrich Agent. Respondo perguntas sobre esta API com o cookbook (/cookbook) e abro tickets "
              "de suporte para você (US$ 0,01 cada, acompanhamentos grátis). Como posso ajudar?",
    },
    "ask_details": {
        "en": "I can open a support ticket for you ($0.01, charged once). What went wrong? Please tell me what you "
              "were doing (endpoint, tool or page), what happened (error code, message, request_id) and what you "
              "expected instead.",
        "es": "Puedo abrir un ticket de soporte por ti (0,01 $, se cobra una vez). ¿Qué salió mal? Cuéntame qué "
              "hacías (endpoint, herramienta o página), qué pasó (código de error, mensaje, request_id) y qué "
              "esperabas.",
        "fr": "Je peux ouvrir un ticket de support pour vous (0,01 $, facturé une fois). Qu'est-ce qui ne va pas ? "
              "Dites-moi ce que vous faisiez (endpoint, outil ou page), ce qui s'est passé (code d'erreur, message, "
              "request_id) et ce que vous attendiez.",
        "de": "Ich kann ein Support-Ticket für dich eröffnen (0,01 $, einmal berechnet). Was ist schiefgelaufen? "
              "Sag mir, was du gemacht hast (Endpoint, Tool oder Seite), was passiert ist (Fehlercode, Meldung, "
              "request_id) und was du erwartet hast.",
        "pt": "Posso abrir um ticket de suporte para você (US$ 0,01, cobrado uma vez). O que deu errado? Conte o que "
              "você estava fazendo (endpoint, ferramenta ou página), o que aconteceu (código de erro, mensagem, "
              "request_id) e o que esperava.",
    },
    "propose": {
        "en": "Sorry about that. Shall I open a support ticket about “{subject}” (category {category})? "
              "It costs $0.01.",
        "es": "Lo siento. ¿Abro un ticket de soporte sobre «{subject}» (categoría {category})? Cuesta 0,01 $.",
        "fr": "Désolé. Voulez-vous que j'ouvre un ticket de support sur « {subject} » (catégorie {category}) ? "
              "Cela coûte 0,01 $.",
        "de": "Das tut mir leid. Soll ich ein Support-Ticket zu „{subject}“ (Kategorie {category}) eröffnen? "
              "Es kostet 0,01 $.",
        "pt": "Sinto muito. Devo abrir um ticket de suporte sobre “{subject}” (categoria {category})? "
              "Custa US$ 0,01.",
    },
    "declined": {
        "en": "OK, I won't open a ticket and nothing was charged. Is there anything else I can help with?",
        "es": "De acuerdo, no abro ningún ticket y no se ha cobrado nada. ¿Te ayudo con algo más?",
        "fr": "D'accord, je n'ouvre pas de ticket et rien n'a été facturé. Puis-je vous aider autrement ?",
        "de": "In Ordnung, ich eröffne kein Ticket und es wurde nichts berechnet. Kann ich sonst noch helfen?",
        "pt": "Certo, não vou abrir ticket e nada foi cobrado. Posso ajudar com mais alguma coisa?",
    },
    "ticket_opened": {
        "en": "Done — I opened support ticket #{number} “{subject}” (category {category}, {ticket_id}). "
              "Charged ${charged_usd} ({payment_method}); your balance is now ${virtual_balance_usd}. "
              "Follow-ups are free in its support thread: [{open_url}]({open_url})",
        "es": "Hecho: abrí el ticket de soporte #{number} «{subject}» (categoría {category}, {ticket_id}). "
              "Cobrado {charged_usd} $ ({payment_method}); tu saldo ahora es {virtual_balance_usd} $. "
              "Los seguimientos son gratis en su hilo de soporte: [{open_url}]({open_url})",
        "fr": "C'est fait : j'ai ouvert le ticket de support n° {number} « {subject} » (catégorie {category}, "
              "{ticket_id}). Facturé {charged_usd} $ ({payment_method}) ; votre solde est maintenant de "
              "{virtual_balance_usd} $. Les suivis sont gratuits dans son fil de support : [{open_url}]({open_url})",
        "de": "Erledigt — ich habe das Support-Ticket #{number} „{subject}“ (Kategorie {category}, {ticket_id}) "
              "eröffnet. Berechnet: {charged_usd} $ ({payment_method}); dein Guthaben beträgt jetzt "
              "{virtual_balance_usd} $. Nachfragen sind im Support-Thread kostenlos: [{open_url}]({open_url})",
        "pt": "Pronto — abri o ticket de suporte #{number} “{subject}” (categoria {category}, {ticket_id}). "
              "Cobrado US$ {charged_usd} ({payment_method}); seu saldo agora é US$ {virtual_balance_usd}. "
              "Acompanhamentos são grátis no tópico de suporte: [{open_url}]({open_url})",
    },
    "bounty": {
        "en": "Bug tickets are eligible for the ${amount_usd} bug bounty once an operator confirms the bug.",
        "es": "Los tickets de bug pueden recibir la recompensa de {amount_usd} $ cuando un operador confirme el bug.",
        "fr": "Les tickets de bug donnent droit à la prime de {amount_usd} $ dès qu'un opérateur confirme le bug.",
        "de": "Bug-Tickets erhalten die Bug-Prämie von {amount_usd} $, sobald ein Operator den Fehler bestätigt.",
        "pt": "Tickets de bug podem receber a recompensa de US$ {amount_usd} quando um operador confirmar o bug.",
    },
    "status": {
        "en": "Ticket #{number} “{subject}” is {status}{last}.",
        "es": "El ticket #{number} «{subject}» está {status}{last}.",
        "fr": "Le ticket n° {number} « {subject} » est {status}{last}.",
        "de": "Ticket #{number} „{subject}“ ist {status}{last}.",
        "pt": "O ticket #{number} “{subject}” está {status}{last}.",
    },
    "status_last": {
        "en": "; the last message is from {author}: “{text}”",
        "es": "; el último mensaje es de {author}: «{text}»",
        "fr": " ; le dernier message vient de {author} : « {text} »",
        "de": "; die letzte Nachricht ist von {author}: „{text}“",
        "pt": "; a última mensagem é de {author}: “{text}”",
    },
    "list_head": {
        "en": "Your tickets:", "es": "Tus tickets:", "fr": "Vos tickets :", "de": "Deine Tickets:",
        "pt": "Seus tickets:",
    },
    "list_row": {
        "en": "#{number} “{subject}” — {status} ({category})", "es": "#{number} «{subject}» — {status} ({category})",
        "fr": "n° {number} « {subject} » — {status} ({category})", "de": "#{number} „{subject}“ — {status} ({category})",
        "pt": "#{number} “{subject}” — {status} ({category})",
    },
    "list_empty": {
        "en": "You have no support tickets yet.", "es": "Todavía no tienes tickets de soporte.",
        "fr": "Vous n'avez encore aucun ticket de support.", "de": "Du hast noch keine Support-Tickets.",
        "pt": "Você ainda não tem tickets de suporte.",
    },
    "appended": {
        "en": "Added to ticket #{number} (free); it is {status} and an operator will see it.",
        "es": "Añadido al ticket #{number} (gratis); está {status} y un operador lo verá.",
        "fr": "Ajouté au ticket n° {number} (gratuit) ; il est {status} et un opérateur le verra.",
        "de": "Zu Ticket #{number} hinzugefügt (kostenlos); es ist {status} und ein Operator sieht es.",
        "pt": "Adicionado ao ticket #{number} (grátis); ele está {status} e um operador verá.",
    },
    "ask_append": {
        "en": "What should I add to ticket #{number}?", "es": "¿Qué añado al ticket #{number}?",
        "fr": "Que dois-je ajouter au ticket n° {number} ?", "de": "Was soll ich zu Ticket #{number} hinzufügen?",
        "pt": "O que devo adicionar ao ticket #{number}?",
    },
    "closed": {
        "en": "Ticket #{number} is closed. If something new comes up, I can open a new one.",
        "es": "El ticket #{number} está cerrado. Si surge algo nuevo, puedo abrir otro.",
        "fr": "Le ticket n° {number} est fermé. Si un nouveau problème survient, je peux en ouvrir un autre.",
        "de": "Ticket #{number} ist geschlossen. Wenn etwas Neues auftaucht, kann ich ein neues eröffnen.",
        "pt": "O ticket #{number} está fechado. Se surgir algo novo, posso abrir outro.",
    },
    "no_ticket": {
        "en": "You have no open ticket I could use. Shall I open one? Tell me what went wrong.",
        "es": "No tienes ningún ticket abierto que pueda usar. ¿Abro uno? Cuéntame qué salió mal.",
        "fr": "Vous n'avez aucun ticket ouvert que je puisse utiliser. Voulez-vous que j'en ouvre un ? "
              "Dites-moi ce qui ne va pas.",
        "de": "Du hast kein offenes Ticket, das ich verwenden könnte. Soll ich eins eröffnen? Sag mir, was los ist.",
        "pt": "Você não tem nenhum ticket aberto que eu possa usar. Devo abrir um? Conte o que deu errado.",
    },
    "balance": {
        "en": "Your virtual balance is ${virtual_balance_usd}; a ticket costs ${ticket_price_usd}.",
        "es": "Tu saldo virtual es de {virtual_balance_usd} $; un ticket cuesta {ticket_price_usd} $.",
        "fr": "Votre solde virtuel est de {virtual_balance_usd} $ ; un ticket coûte {ticket_price_usd} $.",
        "de": "Dein virtuelles Guthaben beträgt {virtual_balance_usd} $; ein Ticket kostet {ticket_price_usd} $.",
        "pt": "Seu saldo virtual é US$ {virtual_balance_usd}; um ticket custa US$ {ticket_price_usd}.",
    },
    "resolved": {
        "en": "Great — I marked ticket #{number} as resolved. If anything else comes up, just write here or in its "
              "thread ({open_url}).",
        "es": "Perfecto: marqué el ticket #{number} como resuelto. Si surge algo más, escribe aquí o en su hilo "
              "({open_url}).",
        "fr": "Parfait : j'ai marqué le ticket n° {number} comme résolu. Si autre chose survient, écrivez ici ou "
              "dans son fil ({open_url}).",
        "de": "Super — ich habe Ticket #{number} als gelöst markiert. Wenn noch etwas ist, schreib hier oder in "
              "seinem Thread ({open_url}).",
        "pt": "Ótimo — marquei o ticket #{number} como resolvido. Se surgir mais alguma coisa, escreva aqui ou no "
              "tópico dele ({open_url}).",
    },
    "not_answered": {
        "en": "Sorry that didn't answer it. An operator will follow up in ticket #{number}'s thread ({open_url}). "
              "What is still missing?",
        "es": "Siento que no lo haya resuelto. Un operador responderá en el hilo del ticket #{number} "
              "({open_url}). ¿Qué falta todavía?",
        "fr": "Désolé que cela n'ait pas répondu. Un opérateur fera le suivi dans le fil du ticket n° {number} "
              "({open_url}). Que manque-t-il encore ?",
        "de": "Schade, dass das nicht geholfen hat. Ein Operator meldet sich im Thread von Ticket #{number} "
              "({open_url}). Was fehlt noch?",
        "pt": "Pena que não respondeu. Um operador vai acompanhar no tópico do ticket #{number} ({open_url}). "
              "O que ainda falta?",
    },
    "mirrored": {
        "en": "Thanks — I added that to ticket #{number}; an operator will follow up in its thread ({open_url}).",
        "es": "Gracias: lo añadí al ticket #{number}; un operador responderá en su hilo ({open_url}).",
        "fr": "Merci : je l'ai ajouté au ticket n° {number} ; un opérateur fera le suivi dans son fil ({open_url}).",
        "de": "Danke — ich habe das zu Ticket #{number} hinzugefügt; ein Operator meldet sich in seinem Thread "
              "({open_url}).",
        "pt": "Obrigado — adicionei isso ao ticket #{number}; um operador vai acompanhar no tópico ({open_url}).",
    },
    "triage_not_answered_note": {
        "en": "The customer answered “no” to “Does this answer your question?” — the triage answer did not solve it.",
    },
    "docs_from": {
        "en": "From the cookbook — [“{title}”]({url}){section}:", "es": "Del cookbook — [«{title}»]({url}){section}:",
        "fr": "Extrait du cookbook — [« {title} »]({url}){section} :", "de": "Aus dem Cookbook — [„{title}“]({url}){section}:",
        "pt": "Do cookbook — [“{title}”]({url}){section}:",
    },
    "docs_section": {
        "en": ", section: {heading}", "es": ", sección: {heading}", "fr": ", section : {heading}",
        "de": ", Abschnitt: {heading}", "pt": ", seção: {heading}",
    },
    "docs_more": {
        "en": "Full recipe: [{url}]({url})\nIf that doesn't solve it, say “open a ticket” and I'll file one for you ($0.01).",
        "es": "Receta completa: [{url}]({url})\nSi eso no lo resuelve, di «abre un ticket» y lo abriré por ti (0,01 $).",
        "fr": "Recette complète : [{url}]({url})\nSi cela ne résout pas le problème, dites « ouvre un ticket » et je "
              "l'ouvrirai pour vous (0,01 $).",
        "de": "Vollständiges Rezept: [{url}]({url})\nWenn das nicht hilft, sag „Ticket eröffnen“ und ich eröffne eins für "
              "dich (0,01 $).",
        "pt": "Receita completa: [{url}]({url})\nSe isso não resolver, diga “abra um ticket” e eu abro um para você "
              "(US$ 0,01).",
    },
    "nothing_found": {
        "en": "I couldn't find that in the cookbook. Ask me about tickets, billing and x402, usage keys, event "
              "callbacks (webhooks) or MCP — or tell me what went wrong and say “open a ticket” ($0.01).",
        "es": "No encontré eso en el cookbook. Pregúntame sobre tickets, facturación y x402, claves de uso, "
              "webhooks o MCP, o cuéntame qué falló y di «abre un ticket» (0,01 $).",
        "fr": "Je n'ai pas trouvé cela dans le cookbook. Interrogez-moi sur les tickets, la facturation et x402, "
              "les clés d'utilisation, les webhooks ou MCP — ou dites-moi ce qui ne va pas et « ouvre un ticket » "
              "(0,01 $).",
        "de": "Das habe ich im Cookbook nicht gefunden. Frag mich zu Tickets, Abrechnung und x402, "
              "Nutzungsschlüsseln, Webhooks oder MCP — oder sag mir, was schiefging, und „Ticket eröffnen“ (0,01 $).",
        "pt": "Não encontrei isso no cookbook. Pergunte sobre tickets, cobrança e x402, chaves de uso, webhooks ou "
              "MCP — ou conte o que deu errado e diga “abra um ticket” (US$ 0,01).",
    },
    "triage_intro": {
        "en": "Triage for ticket #{number}: while an operator takes a look, here is what the docs say.",
        "es": "Triaje del ticket #{number}: mientras un operador lo revisa, esto dice la documentación.",
        "fr": "Triage du ticket n° {number} : en attendant qu'un opérateur regarde, voici ce que dit la "
              "documentation.",
        "de": "Triage für Ticket #{number}: Während ein Operator es sich ansieht, steht das in der Doku.",
        "pt": "Triagem do ticket #{number}: enquanto um operador analisa, veja o que a documentação diz.",
    },
    "triage_nothing": {
        "en": "Triage for ticket #{number}: the cookbook has nothing on this yet, so an operator will answer in the "
              "support thread ({open_url}).",
        "es": "Triaje del ticket #{number}: el cookbook aún no trata esto, así que un operador responderá en el "
              "hilo de soporte ({open_url}).",
        "fr": "Triage du ticket n° {number} : le cookbook n'en parle pas encore, un opérateur répondra donc dans le "
              "fil de support ({open_url}).",
        "de": "Triage für Ticket #{number}: Das Cookbook behandelt das noch nicht, daher antwortet ein Operator im "
              "Support-Thread ({open_url}).",
        "pt": "Triagem do ticket #{number}: o cookbook ainda não trata disso, então um operador responderá no "
              "tópico de suporte ({open_url}).",
    },
    "triage_question": {
        "en": "Does this answer your question?", "es": "¿Responde esto a tu pregunta?",
        "fr": "Cela répond-il à votre question ?", "de": "Beantwortet das deine Frage?",
        "pt": "Isso responde à sua pergunta?",
    },
    "model_fallback": {
        "en": "(The language model failed: {error} The builtin agent answered instead.)",
        "es": "(El modelo de lenguaje falló: {error} Respondió el agente integrado.)",
        "fr": "(Le modèle de langage a échoué : {error} L'agent intégré a répondu à sa place.)",
        "de": "(Das Sprachmodell ist ausgefallen: {error} Der eingebaute Agent hat stattdessen geantwortet.)",
        "pt": "(O modelo de linguagem falhou: {error} O agente integrado respondeu no lugar dele.)",
    },
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "open": {"en": "open", "es": "abierto", "fr": "ouvert", "de": "offen", "pt": "aberto"},
    "pending": {"en": "pending (waiting on you)", "es": "pendiente (esperando tu respuesta)",
                "fr": "en attente (de votre réponse)", "de": "wartend (auf deine Antwort)",
                "pt": "pendente (aguardando você)"},
    "resolved": {"en": "resolved", "es": "resuelto", "fr": "résolu", "de": "gelöst", "pt": "resolvido"},
    "closed": {"en": "closed", "es": "cerrado", "fr": "fermé", "de": "geschlossen", "pt": "fechado"},
}


def say(key: str, lang: str, **values: Any) -> str:
    texts = PHRASES[key]
    return texts.get(lang, texts["en"]).format(**values)


def status_word(status: str, lang: str) -> str:
    return STATUS_WORDS.get(status, {}).get(lang, status)
