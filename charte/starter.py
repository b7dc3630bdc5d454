"""The starter charter offered to a new territory: a base to rewrite, not a model to sign as is.

Written for this application. Each section says what a CoDir de territoire usually settles
there; the territory edits every line before its first adoption.
"""

STARTER_SECTIONS: list[tuple[str, str, str]] = [
    (
        "objet-et-valeurs",
        "Objet et valeurs",
        """Le comité de direction de territoire (« CoDir ») réunit les directions générales de la
communauté et de ses communes membres. Il n'a pas d'existence juridique propre : c'est un
**espace de coopération entre collègues**, au service des projets que les élus portent ensemble.

Ses membres s'engagent sur quatre valeurs :

- **l'égalité** : chaque collectivité compte pour une voix, quelle que soit sa taille ;
- **la confiance** : ce qui se dit en CoDir sert le travail commun, jamais contre une collectivité ;
- **la transparence** : l'information circule vers tous les membres, en même temps ;
- **la subsidiarité** : le CoDir ne décide pas à la place des exécutifs ; il prépare, éclaire, coordonne.""",
    ),
    (
        "membres-roles-et-suppleance",
        "Membres, rôles et suppléance",
        """Sont membres du CoDir le ou la directeur·rice général·e des services de la communauté et,
pour chaque commune, son ou sa DGS ou secrétaire général·e de mairie.

Chaque collectivité désigne un ou une **titulaire**, qui porte sa voix, et un ou une
**suppléant·e**, qui la porte lorsque le ou la titulaire ne s'est pas exprimé·e. Le siège appartient
à la collectivité : en cas de départ, il passe à l'intérim ou au successeur.

Les directeurs·rices adjoint·es et les référent·es des réseaux métiers peuvent être invité·es
selon l'ordre du jour. Des élus peuvent suivre les travaux en observateurs.""",
    ),
    (
        "gouvernance-technique-et-politique",
        "Articulation entre gouvernance technique et politique",
        """Le CoDir est l'instance **technique** du territoire. Il se réunit en amont du bureau ou du
conseil communautaire pour en préparer les points, et rend des **avis techniques** transmis aux
élus avant la séance.

Les décisions politiques appartiennent au conseil et au bureau communautaires, aux conseils
municipaux et aux maires. Le CoDir éclaire ces décisions ; il ne les prend pas. Chaque DGS rend
compte à son exécutif des travaux du CoDir.""",
    ),
    (
        "reunions",
        "Réunions : préparation, ordre du jour, animation, lieux",
        """Le CoDir se réunit avant chaque bureau communautaire, selon le calendrier fixé chaque année.

- **Ordre du jour** : chaque membre peut proposer un point. L'ordre du jour et les documents sont
  envoyés à tous les membres au plus tard dans le délai de prévenance fixé par les règles de la
  présente charte. Un point ajouté hors délai n'est examiné qu'avec l'accord du collectif.
- **Animation** : l'animation de la séance tourne entre les membres, afin que chacun prenne
  part à la conduite des travaux.
- **Lieux** : les réunions se tiennent à tour de rôle dans les mairies du territoire ; la
  commune d'accueil présente ses services et ses projets.
- **Compte rendu** : il est diffusé à tous les membres dans le délai fixé par les règles.""",
    ),
    (
        "circulation-de-l-information",
        "Circulation de l'information",
        """Chaque membre s'engage à partager les informations utiles aux autres collectivités : projets
en préparation, recrutements, marchés, difficultés rencontrées.

Les documents du CoDir sont déposés dans l'espace commun ; chaque membre y accède en même temps.
Les informations sensibles (ressources humaines, contentieux) sont signalées comme telles et ne
sortent pas du cercle des membres.""",
    ),
    (
        "processus-de-decision",
        "Processus de décision",
        """Le CoDir recherche d'abord le **consentement** : une proposition est retenue si aucun membre
n'y oppose d'objection motivée. Une objection n'est pas un vote contre : elle dit ce qui empêche
une collectivité d'avancer, et l'auteur de la proposition y répond en amendant son texte.

Lorsque les règles de la présente charte le prévoient, le CoDir décide à la majorité des
collectivités, à l'unanimité ou à la double majorité (collectivités et population). Chaque
collectivité dispose d'une voix. Une décision n'est valable que si le quorum est atteint.

Toutes les décisions sont consignées au registre, avec la position de chaque collectivité.""",
    ),
    (
        "co-pilotage-des-projets",
        "Co-pilotage des projets",
        """Les projets partagés du territoire ont un pilote désigné : la communauté, une commune,
plusieurs collectivités en co-pilotage, ou un pilotage alterné selon un calendrier connu de tous.

Chaque projet suit les étapes du co-diagnostic à la co-évaluation. Le CoDir tient une revue des
projets au moins deux fois par an : avancement, jalons, financements, difficultés, suites.""",
    ),
    (
        "reseaux-metiers-et-referents",
        "Articulation avec les réseaux métiers et les référents",
        """Les réseaux métiers (finances, ressources humaines, urbanisme, secrétariats de mairie…)
relient les agents des collectivités du territoire. Chaque réseau a un ou une référent·e, qui
fait le lien avec le CoDir : il ou elle y présente les travaux du réseau et en rapporte les
orientations.

Le CoDir peut confier une question à un réseau, et un réseau peut saisir le CoDir.""",
    ),
    (
        "pacte-de-confiance",
        "Pacte de confiance",
        """Les membres du CoDir s'engagent à :

- préparer les réunions et y participer, ou s'y faire représenter ;
- respecter la parole de chacun et la confidentialité des échanges ;
- ne pas engager une autre collectivité sans son accord ;
- signaler au plus tôt un désaccord, plutôt que de le laisser grandir ;
- pratiquer l'entraide : « vis ma vie » entre DGS et secrétaires de mairie, partage d'outils,
  appui ponctuel en cas de vacance de poste.""",
    ),
    (
        "reflexivite-et-revue-annuelle",
        "Réflexivité et revue annuelle",
        """Une fois par an, le CoDir fait le bilan de son fonctionnement avec un **tiers neutre**
(par exemple un consultant du CNFPT) : participation de chaque collectivité, respect des délais,
équilibre entre petites et grandes communes, décisions prises, avancement des projets,
vie des réseaux.

Ce bilan nourrit les perspectives de l'année suivante et, le cas échéant, une révision de la
présente charte.""",
    ),
]
