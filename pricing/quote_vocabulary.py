"""The words ``quote_requests.py`` reads a price question by, in English, Spanish, Portuguese, French, German.

Patterns are regex fragments (matched case-insensitively, on text whose apostrophes are straightened).
They describe how people ask for prices in general; none is fitted to a particular message.
"""

from __future__ import annotations

# --- seats -------------------------------------------------------------------------------------------
# Nouns that count seats. "Strong" ones name what is bought (seats, licences, user accounts); "weak"
# ones count people, who may be more than the seats needed, so a strong count wins over a weak one.
STRONG_SEAT_UNITS = (
    r"seats?|licen[cs]es?|users?|logins?|user accounts?|named users?|admins?|viewers?|editors?|creators?"
    r"|usuari[oa]s?|licencias?|puestos?|asientos?|cuentas?"
    r"|usu[aá]ri[oa]s?|utilizadore?s?|licen[cç]as?|assentos?|contas?"
    r"|utilisat(?:eur|rice)s?|si[eè]ges?|postes?|comptes?"
    r"|(?:be)?nutzer(?:innen)?|anwender(?:innen)?|lizenzen?|(?:arbeits)?pl[aä]tze?|zug[aä]nge?|accounts?"
)
WEAK_SEAT_UNITS = (
    r"people|persons?|staff(?:ers)?|employees?|team ?members?|members?|teammates?|colleagues?|coworkers?"
    r"|folks|ppl|heads|workers?|volunteers?|teachers?|educators?|faculty|agents?|analysts?|reps?|salespeople"
    r"|managers?|engineers?|developers?|marketers?|researchers?|clinicians?|nurses?|doctors?"
    r"|personas|empleados?|empleadas?|trabajadores|colaboradore?s|miembros|voluntari[oa]s|profesores|docentes"
    r"|agentes|analistas|vendedores|pessoas|funcion[aá]ri[oa]s|empregados|membros|volunt[aá]rios|professores"
    r"|personnes|employ[ée]e?s|salari[ée]e?s|collaborat(?:eur|rice)s|membres|b[ée]n[ée]voles|enseignants"
    r"|professeurs|analystes|commerciaux|personen|mitarbeit(?:er(?:innen)?|ende[n]?)|kolleg(?:en|innen)"
    r"|angestellte[n]?|besch[aä]ftigte[n]?|mitglieder|lehrer(?:innen)?|lehrkr[aä]fte[n]?|leute|k[oö]pfe"
)
# Words that may stand between a number and its seat noun: "40 more seats", "300 Pro licences".
SEAT_MODIFIERS = (
    r"more|additional|extra|active|named|total|paid|new|internal|concurrent|licensed|full[- ]time"
    r"|part[- ]time"
    r"|power|nuev[oa]s|m[aá]s|adicionales|nov[oa]s|mais|nouveaux|nouvelles|autres|weitere[n]?"
    r"|zus[aä]tzliche[n]?|aktive[n]?|neue[n]?|interne[n]?"
)
# "a team of 45", "un equipo de 45", "une équipe de 45", "ein Team von 45".
TEAM_OF = (
    r"(?:team|company|organi[sz]ation|staff|headcount|department|office|equipo|empresa|plantilla|equipa"
    r"|equipe"
    r"|[ée]quipe|entreprise|soci[ée]t[ée]|firma|abteilung|belegschaft)"
    r"\s+(?:of|is|de|da|do|d'|von|aus|mit|with)\s+"
)
# "for 30 of us", "para 30 de nosotros", "pour 30 d'entre nous", "für 30 von uns".
OF_US = r"\s+(?:of us|of them|de nosotr[oa]s|de n[oó]s|d'entre nous|von uns|von ihnen)\b"
# "we are 45", "somos 45", "nous sommes 45", "wir sind 45".
WE_ARE = (
    r"\b(?:we are|we're|somos|nous sommes|on est|wir sind)\s+(?:about |around |roughly |unos |unas "
    r"|environ |etwa |rund )?"
)
# "40 would need access", "only 25 of them will use it": people who need a seat.
NEED_ACCESS = (
    r"\s+(?:of (?:them|us)\s+)?(?:would |will |actually |really )?"
    r"(?:need|use|require|log in|necesitan|necesitar[ií]an|precisam|precisariam|ont besoin|brauchen"
    r"|nutzen)s?\b"
)
# Price-sheet wording: a threshold or limit, not a count ("10% from 100 seats", "up to 500 users").
THRESHOLD_BEFORE = (
    r"(?:from|starting at|starts at|at least|minimum(?: of)?|min\.?|up to|upto|desde|a partir de|hasta|at[eé]"
    r"|[aà] partir de|jusqu'[aà]|d[eè]s|ab|bis zu|bis|mindestens)\s+$"
)
# Stated "over 300 users" is a count from a prospect, but in a price sheet it is a threshold.
LIMIT_BEFORE = (
    r"(?:more than|over|above|beyond|fewer than|less than|under|m[aá]s de|menos de|mais de|acima de"
    r"|plus de|moins de|au-del[aà] de|[uü]ber|mehr als|weniger als|unter)\s+$"
)
# After a bare number: units that make it something other than a seat count.
NOT_SEATS_AFTER = (
    r"\s*(?:%|percent|per ?cent|por ?ciento|por ?cento|pour ?cent|prozent|[$€£]|dollars?|euros?|usd|eur|bucks"
    r"|k\b|mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?|yrs?|am\b|pm\b|h\b|meses|mes|a[nñ]os"
    r"|semanas"
    r"|d[ií]as|horas|minutos|mois|ans|ann[ée]es|semaines|jours|heures|monate?n?|jahre?n?|wochen?|tage?n?"
    r"|stunden?|uhr|gb|tb|mb|reports?|dashboards?|questions?|integrations?|sources?|steps?|times?|x\b)"
)
# The agent (or anyone) asking how many seats: a bare number in the reply is then the count.
SEAT_QUESTION = (
    r"how many (?:seats|licen[cs]es|users|people|employees|of you|team members|logins)|(?:seat|user) count"
    r"|headcount|team size|size of (?:your|the) team|cu[aá]nt[oa]s (?:usuari[oa]s|licencias|personas|puestos"
    r"|empleados)|quant[oa]s (?:usu[aá]ri[oa]s|licen[cç]as|pessoas|funcion[aá]rios)|combien (?:de |d')"
    r"(?:utilisateurs|licences|personnes|si[eè]ges|postes|employ[ée]s)|wie viele (?:nutzer|benutzer|lizenzen"
    r"|pl[aä]tze|mitarbeit\w*|personen|seats)"
)

# --- plans -------------------------------------------------------------------------------------------
# Plan names are ordinary words too ("standard reports", "enterprise-grade"): a lower-case name directly
# followed by one of these nouns is not the plan.
NOT_PLAN_AFTER = (
    r"[\s-]+(?:pricing|prices?|rates?|discounts?|terms|contracts?|reports?|reporting|features?|questions?"
    r"|process|procedures?|practice|setup|way|stuff|info|information|level|grade|class|ready|scale|size"
    r"|customers?|clients?|software|compan(?:y|ies)|security|needs|users?|use case|deal|sla|onboarding)\b"
)

# --- price cues --------------------------------------------------------------------------------------
PRICE_CUES = (
    r"\bpric(?:e|es|ed|ing)\b|\bcosts?\b|\bcosting\b|how much(?! (?:time|data|storage|space|memory|effort"
    r"|work"
    r"|training|longer|faster))|\bquot(?:e|es|ed|ation)\b|(?<!\bin )\btotals?\b|\bbudget|\bfees?\b|\bspend\b"
    r"|\bexpensive\b|\bcheap(?:er|est)?\b|\bafford|\bdiscount|\bballpark\b|\bestimate\b|\bcome (?:out )?to\b"
    r"|what (?:would|will|do|does|did) (?:we|i|it|that|this|they) (?:pay|cost|run|come to|set us back)"
    r"|\bset us back\b|\bwhat'?s the damage\b|\d\s?%\s?(?:off|discount)|\bper (?:seat|user|licen[cs]e|head"
    r"|person)\b|[$€£]\s?\d"
    r"|\d\s?(?:usd|eur|dollars?|euros?)\b"
    # es
    r"|\bprecios?\b|\bcu[aá]nto(?! tiempo| tarda)|\bcuesta|\bcostar[ií]a|\bcosto\b|\bcoste\b|\bcotizaci[oó]n"
    r"|\bpresupuesto|\btarifas?\b|\bdescuentos?\b|\bimporte\b|\bpagar[ií]amos\b|\bsaldr[ií]a\b"
    r"|\bpor (?:usuario|licencia|puesto|persona)\b"
    # pt
    r"|\bpre[cç]os?\b|\bquanto(?! tempo)\b|\bcusta(?:ria)?\b|\bcusto\b|\bor[cç]amento|\bcota[cç][aã]o"
    r"|\bdescontos?\b|\bvalor(?:es)?\b|\bpagar[ií]amos\b|\bmensalidade|\bsairia\b|\bficaria\b"
    r"|\bpor (?:usu[aá]rio|licen[cç]a|pessoa)\b"
    # fr
    r"|\bprix\b|\bcombien(?! de temps| d'| de)|\bco[uû]te(?:rait|raient|nt)?\b|\bco[uû]ts?\b|\btarif"
    r"|\bdevis\b|\bremises?\b|\br[ée]ductions?\b|\bpaierions\b|\bmontant\b|\bpar (?:utilisateur|licence"
    r"|poste)\b"
    # de
    r"|\bpreis|\bkost(?!enlos)\w*|\bwie ?viel\b(?! zeit)|\bangebot|\brabatt|\bnachlass|\bbezahlen\b"
    r"|(?:w[uü]rden|werden|m[uü]ssten|m[uü]ssen) wir (?:\w+ )?(?:be)?zahlen|\bbetrag\b|\bsumme\b"
    r"|\bpro (?:nutzer|benutzer|lizenz|platz|person|kopf)\b"
)
# Only a price question together with a plan or seat count: "Pro for 40 users per month?",
# "what would a team of 45 pay on Pro?"
WEAK_PRICE_CUES = (
    r"\bpay(?:ing)?\b|\bpagar(?:[ií]amos)?\b|\bpayer(?:ions)?\b|\bzahlen\b|"
    r"\bper (?:month|year|annum)\b|\ba (?:month|year)\b|\bmonthly\b|\byearly\b|\bannual(?:ly)?\b|/ ?(?:mo"
    r"|month"
    r"|yr|year)\b|\bal (?:mes|año)\b|\bpor (?:mes|año|m[eê]s|ano)\b|\bao (?:m[eê]s|ano)\b|\bmensual|\bmensal"
    r"|\bpar (?:mois|an)\b|\bmensuel|\bpro (?:monat|jahr)\b|\bim (?:monat|jahr)\b|\bmonatlich|\bj[aä]hrlich"
)
# Short follow-ups that lean on the conversation: "and for 40 seats?", "what about Pro?"
FOLLOW_UP = (
    r"^\W*(?:(?:ok(?:ay)?|so|hmm+|right|great|thanks|cool|alright|got it|vale|bueno|perfecto|certo|beleza"
    r"|ótimo"
    r"|d'accord|alors|merci|gut|also|danke|okay)\W+)?"
    r"(?:and|what about|how about|what if|same for|y|e|et|und|y si|e se|et si|und wenn|qu[eé] tal"
    r"|y (?:para|con)|e (?:para|com)|e quanto a|et pour|et avec|und f[uü]r|und bei|und mit|what would)\b"
)
# The plan a prospect has now, when they ask about another: "we're on Starter", "from Starter to Pro".
CURRENT_PLAN_BEFORE = (
    r"(?:\b(?:we're|we are|i'm|i am|currently|already|still|now)\s+(?:on|using|with|in)\s+(?:the\s+)?"
    r"|\b(?:estamos|seguimos) (?:en|con) (?:el )?|\b(?:estamos|ficamos) (?:no|com o) "
    r"|\bnous sommes (?:sur|avec) (?:le )?"
    r"|\bwir (?:haben|nutzen|sind auf) (?:den |das |dem )?)$"
)
FROM_PLAN_BEFORE = r"\b(?:from|de|do|du|desde|von|vom)\s+(?:the |el |o |le |dem )?$"
TO_PLAN_AFTER = r"(?:\s+(?:plan|plano|forfait|paket))?\s+(?:to|para|pra|a|al|à|au|auf|zu|zum|nach)\b"

# Words that leave "what about the Pro plan then?" a bare follow-up on the plan.
FOLLOW_UP_FILLERS = frozenset(
    {
        "then",
        "instead",
        "plan",
        "tier",
        "package",
        "option",
        "one",
        "the",
        "a",
        "an",
        "o",
        "os",
        "el",
        "la",
        "le",
        "les",
        "der",
        "die",
        "das",
        "plano",
        "forfait",
        "paket",
        "entonces",
        "então",
        "alors",
        "dann",
        "please",
        "pls",
        "por",
        "favor",
        "bitte",
    }
)

# --- segments ----------------------------------------------------------------------------------------
# A negation in the same clause just before a segment word: "we're not a nonprofit", "keine Schule".
NEGATION_BEFORE = r"\b(?:not|\w+n't|never|no|nor|ni|n[aã]o|nao|pas|kein\w*|nicht)\b[^,.;:!?]{0,25}$"
# Someone saying what they are: used for segments read from earlier messages, where the agent's own
# "nonprofits get 30% off" must not make the prospect one. (Each segment's own words are price-book data.)
SELF_IDENTIFIED_BEFORE = (
    r"\b(?:we(?:'re| are)|i(?:'m| am)(?: (?:at|with|from))?|(?:i|we) work (?:at|for|in)|as an?|being an?|our"
    r"|somos|soy de|trabaj(?:o|amos) (?:en|para)|como|nuestr[oa]s?|sou de|trabalh(?:o|amos) (?:em|na|no|para)"
    r"|nossa?|nosso|nous sommes|on est|je suis|(?:je travaille|nous travaillons) (?:dans|pour|[aà])"
    r"|en tant que|notre|wir sind|ich bin|(?:ich arbeite|wir arbeiten) (?:an|bei|f[uü]r|in)|als"
    r"|unser(?:e|er|em|en)?)(?:\s+[\w'-]+){0,3}?\s+$"
)
# "our nonprofit discount", "education pricing": naming the offer, not the buyer.
OFFER_AFTER = (
    r"[\s-]+(?:discounts?|pricing|prices?|rates?|programs?|programmes?|offers?|plans?|tiers?|descuentos?"
    r"|descontos?|remises?|rabatt\w*|tarifs?)\b"
)

# "commit to a year", "locked in for a year": the contract's length, not the total asked for.
COMMITMENT_BEFORE = (
    r"\b(?:com+it\w*|sign\w*(?: up)?|lock\w*(?: in(?:to)?)?|tied|bound|contract)\s+(?:(?:to|into|for"
    r"|in)\s+)?$"
)

# --- billing and the annual total ---------------------------------------------------------------------
MONTHLY_BILLING = (
    r"monthly (?:billing|billed|plan|subscription|contract|terms|basis|option|instead)|billed monthly"
    r"|bill(?:ed)? (?:us )?(?:monthly|every month|each month|month[- ]to[- ]month)|month[- ]to[- ]month"
    r"|month by month|by the month|on a monthly basis|pay (?:monthly|every month|each month) instead"
    r"|(?:(?:can|could|may|should) (?:we|i|one)|possible to|option to|(?:want|wish|prefer|like|need|able"
    r"|allowed"
    r"|going|plan) to|rather|if (?:we|i)|we'd|we would|we will|we'll|i'd)(?: rather| prefer to| like to"
    r"| want to)?"
    r" (?:pay|be paying) (?:monthly|every month|each month|by the month|per month instead)"
    r"|(?:no|without(?: an?)?|not (?:sign(?:ing)?|lock(?:ed|ing)? into|tied to)(?: an?)?) (?:long[- ]term "
    r"|annual "
    r"|yearly |12[- ]month |year[- ]long )?(?:commitment|contract|lock[- ]in)"
    r"|(?:\w+n't|not) (?:want to |ready to |able to )?commit(?:ting)? to (?:a |an )?(?:full |whole )?(?:year"
    r"|annual"
    r"|12 months)|(?:\w+n't|not|never) (?:want|need|like)(?: to sign)? (?:an? |any )?(?:long[- ]term "
    r"|annual |yearly"
    r" |12[- ]month |year[- ]long )(?:commitment|contract|plan|subscription|lock[- ]in)"
    r"|(?:instead of|rather than|en lugar de|en vez de|em vez de|ao inv[eé]s de|au lieu de|statt|anstatt)"
    r" (?:an? |the |de |d')?(?:annual(?:ly)?|yearly|anual(?:mente)?|annuel(?:le)?(?:ment)?|j[aä]hrlich)"
    r"|with monthly payments?"
    # es
    r"|con (?:pago|pagos|facturaci[oó]n) mensual(?:es)?|facturaci[oó]n mensual"
    r"|facturad[oa]s? (?:de forma )?mensual(?:mente)?|mes a mes|plan mensual"
    r"|suscripci[oó]n mensual|contrato mensual|sin (?:compromiso|contrato|permanencia)(?: anual)?"
    r"|(?:podemos|se puede|es posible|queremos|preferimos|quisi[ée]ramos|podr[ií]amos) pagar"
    r" (?:mensualmente|cada mes|mes a mes|de forma mensual)"
    # pt
    r"|com (?:pagamento|pagamentos|cobran[cç]a) mensa(?:l|is)|cobran[cç]a mensal|faturamento mensal"
    r"|fatura[cç][aã]o mensal|faturad[oa]s? mensalmente|m[eê]s a m[eê]s"
    r"|plano mensal|assinatura mensal|contrato mensal|sem (?:compromisso|contrato|fidelidade"
    r"|fideliza[cç][aã]o)"
    r"(?: anual)?|(?:podemos|d[aá] para|[eé] poss[ií]vel|queremos|preferimos|gostar[ií]amos de) pagar"
    r" (?:mensalmente|todo m[eê]s|m[eê]s a m[eê]s)"
    # fr
    r"|facturation mensuelle|factur[ée]e?s? (?:mensuellement|au mois|chaque mois|tous les mois)"
    r"|avec (?:un )?paiement mensuel|abonnement mensuel|formule mensuelle|offre mensuelle|contrat mensuel"
    r"|sans engagement(?: annuel)?"
    r"|mois par mois|(?:peut-on|pouvons-nous|possible de|voudrions|pr[ée]f[ée]r(?:ons|erions)|souhaitons)"
    r" payer (?:mensuellement|chaque mois|tous les mois|au mois)"
    # de
    r"|mit monatlicher (?:zahlung|abrechnung)|monatliche (?:abrechnung|zahlweise|zahlungsweise|laufzeit"
    r"|k[uü]ndbarkeit)|monatlich (?:abgerechnet"
    r"|abrechnen|k[uü]ndbar)|monatsabo\w*|monatsvertrag|ohne (?:jahresbindung|jahresvertrag|j[aä]hrliche"
    r" bindung|mindestlaufzeit|vertragsbindung|bindung)|(?:k[oö]nnen wir|kann man|m[oö]chten wir|wollen wir)"
    r" (?:auch )?monatlich (?:be)?zahlen"
)
ANNUAL_BILLING = (
    r"billed (?:annually|yearly)|(?:annual|yearly) (?:billing|plan|contract|commitment|subscription"
    r"|prepay\w*)"
    r"|pay(?:ing)? (?:annually|yearly|upfront|up front|for the (?:whole|full) year)"
    r"|facturaci[oó]n anual|facturad[oa]s? anualmente|pago anual|plan anual|contrato anual"
    r"|cobran[cç]a anual|faturamento anual|plano anual|pagamento anual|fatura[cç][aã]o anual"
    r"|facturation annuelle|factur[ée]e?s? annuellement|abonnement annuel|engagement annuel|paiement annuel"
    r"|j[aä]hrliche (?:abrechnung|zahlung|zahlweise)|j[aä]hrlich (?:abgerechnet|abrechnen)|jahresvertrag"
    r"|jahresabo\w*"
)
NOT_BEFORE = (
    r"(?:\bno|\bnot|n't (?:want|need|like)(?: to \w+)?|\bwithout|instead of|rather than|\bsin|\bsem|\bsans"
    r"|\bohne|en lugar de|en vez de|em vez de"
    r"|au lieu de|\bstatt|\banstatt|\bpas d'|\bkein\w*)\s+(?:an?\s+|un\s+|une\s+|uma?\s+|einen?\s+)?$"
)
ANNUAL_TOTAL = (
    r"\bper (?:year|annum)\b|\ba year\b|\beach year\b|\bevery year\b|/ ?(?:year|yr)\b"
    r"|\byearly\b(?! (?:billing|plan|contract|subscription|commitment|prepay\w*))"
    r"|\b(?:yearly|annual|twelve[- ]month|12[- ]month) (?:total|cost|price|amount|bill|spend|figure|fee"
    r"|budget"
    r"|investment|outlay)s?\b|\b(?:total|cost|price|amount|bill|spend) (?:for|over) (?:the|a|one|1) (?:whole "
    r"|full |entire )?year\b|\bfor (?:the|a) (?:whole|full|entire) year\b|\bfor 12 months\b|\bannually\b"
    r"|\bal año\b|\bpor año\b|\bpor un año\b|\b(?:total|costo|coste|precio|importe|monto|gasto|inversi[oó]n"
    r"|cuota) anual(?:es)?\b|\banualmente\b"
    r"|\bpor ano\b|\bao ano\b|\bpor um ano\b|\b(?:total|custo|pre[cç]o|valor|gasto|investimento) anual\b"
    r"|\bpar an\b|\bpar ann[ée]e\b|\b[aà] l'ann[ée]e\b|\bsur (?:un an|l'ann[ée]e)\b|\b(?:total|co[uû]t|prix"
    r"|montant|budget) annuel\b|\bannuellement\b"
    r"|\bpro jahr\b|\bim jahr\b|\bf[uü]r ein jahr\b|\baufs jahr\b|\bj[aä]hrlich\b|\bjahres(?:kosten|preis"
    r"|summe|betrag|gesamt\w*)\b"
)
# "billed annually", "facturado anualmente", "jährlich abgerechnet" are billing, not a request for the total.
BILLING_VERB_NEAR = (
    r"(?:bill(?:ed)?|pay|paid|paying|invoiced|factur\w+|fatur\w+|cobrad\w+|pagar|pagad\w+"
    r"|payer|pay[ée]e?s?)\s+$"
)
BILLING_VERB_AFTER = r"\s+(?:billed|abgerechnet|abrechnen|bezahlt|factur\w+|fatur\w+)"
