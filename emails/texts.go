package emails

import "strings"

// Text holds the strings of one language, for the emails and for the web
// pages a recipient lands on after clicking a link (answer, thanks,
// unsubscribe).
//
// Fields documented as formats are fmt formats; all others are plain text.
// Every field is plain text (no HTML): templates escape it.
type Text struct {
	Lang  string // the language these strings are in: "en", "es", "fr" or "de"
	Colon string // between a label and its value in plain text: ": ", or "\u00a0: " in French

	// Survey email.
	DefaultQuestion         string // the standard NPS question
	NotLikely               string // label under score 0
	VeryLikely              string // label under score 10
	Subject                 string // format: %s is the sender
	SubjectNoSender         string // subject when there is no sender name
	ReminderSubject         string // format: %s is the sender
	ReminderSubjectNoSender string // reminder subject when there is no sender name
	Intro                   string // format: %s is the sender
	IntroNoSender           string // intro when there is no sender name
	ReminderIntro           string // format: %s is the sender
	ReminderIntroNoSender   string // reminder intro when there is no sender name
	Preheader               string // hidden preview text shown by mail clients next to the subject
	WhyReceived             string // footer: why the recipient got this email
	Unsubscribe             string // footer: unsubscribe link text

	// Detractor alert email, for managers.
	AlertSubject         string // format: %d is the score, %s the survey name (German uses %[1]d/%[2]s)
	AlertSubjectNoSurvey string // format: %d is the score; used when the survey has no name
	AlertIntro           string // format: %d is the score; the alert's heading
	Survey               string // label: the survey's name
	Score                string // label: the score
	Reasons              string // label: the reasons the customer picked
	Comment              string // label: the customer's comment
	Respondent           string // label: who answered (e.g. the contact's email)
	Channel              string // label: how the survey was answered (email, web, ...)
	ViewResponses        string // link text to the responses
	OpenCase             string // link text to the case (assign, note, close)
	AlertFooter          string // footer: why the manager got this alert

	// Web pages (answer, thanks, unsubscribe).
	Why                string // question above the reasons
	CommentLabel       string // label of the optional comment box
	Send               string // submit button
	Thanks             string // thank-you heading
	ThanksScore        string // format: %d is the recorded score
	ThanksText         string // thank-you page: what happens with the answer
	CloseHint          string // thank-you page: the page may be closed
	Unsubscribed       string // shown after unsubscribing
	UnsubscribeConfirm string // question on the unsubscribe page
	UnsubscribeButton  string // button on the unsubscribe page
	LinkExpired        string // the link's token has expired
	LinkInvalid        string // the link's token is malformed or forged
}

// texts holds every supported language, keyed by its code. French strings use
// a no-break space (\u00a0) before : ? ! and inside « », as French typography
// requires.
var texts = map[string]Text{
	"en": {
		Lang:  "en",
		Colon: ": ",

		DefaultQuestion:         "How likely are you to recommend us to a friend or colleague?",
		NotLikely:               "Not likely",
		VeryLikely:              "Very likely",
		Subject:                 "A quick question from %s",
		SubjectNoSender:         "A quick question for you",
		ReminderSubject:         "Reminder: a quick question from %s",
		ReminderSubjectNoSender: "Reminder: a quick question for you",
		Intro:                   "%s would like to know what you think. One click is all it takes: choose a score below.",
		IntroNoSender:           "We would like to know what you think. One click is all it takes: choose a score below.",
		ReminderIntro:           "A quick reminder: %s would still like to know what you think. One click is all it takes: choose a score below.",
		ReminderIntroNoSender:   "A quick reminder: we would still like to know what you think. One click is all it takes: choose a score below.",
		Preheader:               "Answering takes one click and helps us improve.",
		WhyReceived:             "You are receiving this email because you were recently in touch with us.",
		Unsubscribe:             "Unsubscribe",

		AlertSubject:         "Detractor alert: a customer answered %d in “%s”",
		AlertSubjectNoSurvey: "Detractor alert: a customer answered %d",
		AlertIntro:           "A customer answered %d",
		Survey:               "Survey",
		Score:                "Score",
		Reasons:              "Reasons",
		Comment:              "Comment",
		Respondent:           "Respondent",
		Channel:              "Channel",
		ViewResponses:        "View responses",
		OpenCase:             "Follow up on this case",
		AlertFooter:          "You receive this alert because a customer gave a score from 0 to 6.",

		Why:                "What is the main reason for your score?",
		CommentLabel:       "Anything else you would like to tell us? (optional)",
		Send:               "Send",
		Thanks:             "Thank you for your feedback!",
		ThanksScore:        "We recorded your score of %d.",
		ThanksText:         "Your answer goes straight to the team, and helps us do better.",
		CloseHint:          "You can close this page now.",
		Unsubscribed:       "You are unsubscribed. You will not receive these surveys anymore.",
		UnsubscribeConfirm: "Unsubscribe from these surveys?",
		UnsubscribeButton:  "Unsubscribe",
		LinkExpired:        "This link has expired, so it can no longer be used to answer.",
		LinkInvalid:        "This link is not valid. Please check that you opened or copied it completely.",
	},
	"es": {
		Lang:  "es",
		Colon: ": ",

		DefaultQuestion:         "¿Qué probabilidad hay de que nos recomiendes a un amigo o colega?",
		NotLikely:               "Nada probable",
		VeryLikely:              "Muy probable",
		Subject:                 "Una pregunta rápida de %s",
		SubjectNoSender:         "Una pregunta rápida para ti",
		ReminderSubject:         "Recordatorio: una pregunta rápida de %s",
		ReminderSubjectNoSender: "Recordatorio: una pregunta rápida para ti",
		Intro:                   "A %s le gustaría conocer tu opinión. Solo necesitas un clic: elige una puntuación.",
		IntroNoSender:           "Nos gustaría conocer tu opinión. Solo necesitas un clic: elige una puntuación.",
		ReminderIntro:           "Un breve recordatorio: a %s todavía le gustaría conocer tu opinión. Solo necesitas un clic: elige una puntuación.",
		ReminderIntroNoSender:   "Un breve recordatorio: todavía nos gustaría conocer tu opinión. Solo necesitas un clic: elige una puntuación.",
		Preheader:               "Responder te lleva un clic y nos ayuda a mejorar.",
		WhyReceived:             "Recibes este correo porque has estado en contacto con nosotros recientemente.",
		Unsubscribe:             "Darse de baja",

		AlertSubject:         "Alerta de detractor: un cliente respondió %d en «%s»",
		AlertSubjectNoSurvey: "Alerta de detractor: un cliente respondió %d",
		AlertIntro:           "Un cliente respondió %d",
		Survey:               "Encuesta",
		Score:                "Puntuación",
		Reasons:              "Motivos",
		Comment:              "Comentario",
		Respondent:           "Encuestado",
		Channel:              "Canal",
		ViewResponses:        "Ver respuestas",
		OpenCase:             "Hacer seguimiento del caso",
		AlertFooter:          "Recibes esta alerta porque un cliente dio una puntuación de 0 a 6.",

		Why:                "¿Cuál es el motivo principal de tu puntuación?",
		CommentLabel:       "¿Algo más que quieras contarnos? (opcional)",
		Send:               "Enviar",
		Thanks:             "¡Gracias por tu opinión!",
		ThanksScore:        "Hemos registrado tu puntuación de %d.",
		ThanksText:         "Tu respuesta llega directamente al equipo y nos ayuda a mejorar.",
		CloseHint:          "Ya puedes cerrar esta página.",
		Unsubscribed:       "Te has dado de baja. Ya no recibirás estas encuestas.",
		UnsubscribeConfirm: "¿Quieres darte de baja de estas encuestas?",
		UnsubscribeButton:  "Darme de baja",
		LinkExpired:        "Este enlace ha caducado y ya no se puede usar para responder.",
		LinkInvalid:        "Este enlace no es válido. Comprueba que lo has abierto o copiado completo.",
	},
	"fr": {
		Lang:  "fr",
		Colon: "\u00a0: ",

		DefaultQuestion:         "Quelle est la probabilité que vous nous recommandiez à un ami ou à un collègue\u00a0?",
		NotLikely:               "Peu probable",
		VeryLikely:              "Très probable",
		Subject:                 "Une petite question de la part de %s",
		SubjectNoSender:         "Une petite question pour vous",
		ReminderSubject:         "Rappel\u00a0: une petite question de la part de %s",
		ReminderSubjectNoSender: "Rappel\u00a0: une petite question pour vous",
		Intro:                   "%s aimerait connaître votre avis. Un seul clic suffit\u00a0: choisissez une note ci-dessous.",
		IntroNoSender:           "Nous aimerions connaître votre avis. Un seul clic suffit\u00a0: choisissez une note ci-dessous.",
		ReminderIntro:           "Petit rappel\u00a0: %s aimerait toujours connaître votre avis. Un seul clic suffit\u00a0: choisissez une note ci-dessous.",
		ReminderIntroNoSender:   "Petit rappel\u00a0: nous aimerions toujours connaître votre avis. Un seul clic suffit\u00a0: choisissez une note ci-dessous.",
		Preheader:               "Répondre ne prend qu’un clic et nous aide à nous améliorer.",
		WhyReceived:             "Vous recevez cet e-mail car vous avez récemment été en contact avec nous.",
		Unsubscribe:             "Se désinscrire",

		AlertSubject:         "Alerte détracteur\u00a0: un client a répondu %d à «\u00a0%s\u00a0»",
		AlertSubjectNoSurvey: "Alerte détracteur\u00a0: un client a répondu %d",
		AlertIntro:           "Un client a répondu %d",
		Survey:               "Enquête",
		Score:                "Note",
		Reasons:              "Raisons",
		Comment:              "Commentaire",
		Respondent:           "Répondant",
		Channel:              "Canal",
		ViewResponses:        "Voir les réponses",
		OpenCase:             "Suivre ce cas",
		AlertFooter:          "Vous recevez cette alerte car un client a donné une note de 0 à 6.",

		Why:                "Quelle est la principale raison de votre note\u00a0?",
		CommentLabel:       "Souhaitez-vous ajouter quelque chose\u00a0? (facultatif)",
		Send:               "Envoyer",
		Thanks:             "Merci pour votre retour\u00a0!",
		ThanksScore:        "Nous avons bien enregistré votre note de %d.",
		ThanksText:         "Votre réponse est transmise directement à l’équipe et nous aide à progresser.",
		CloseHint:          "Vous pouvez maintenant fermer cette page.",
		Unsubscribed:       "Votre désinscription est confirmée. Vous ne recevrez plus ces enquêtes.",
		UnsubscribeConfirm: "Se désinscrire de ces enquêtes\u00a0?",
		UnsubscribeButton:  "Se désinscrire",
		LinkExpired:        "Ce lien a expiré et ne permet plus de répondre.",
		LinkInvalid:        "Ce lien n’est pas valide. Vérifiez que vous l’avez ouvert ou copié en entier.",
	},
	"de": {
		Lang:  "de",
		Colon: ": ",

		DefaultQuestion:         "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen weiterempfehlen?",
		NotLikely:               "Unwahrscheinlich",
		VeryLikely:              "Sehr wahrscheinlich",
		Subject:                 "Eine kurze Frage von %s",
		SubjectNoSender:         "Eine kurze Frage an Sie",
		ReminderSubject:         "Erinnerung: eine kurze Frage von %s",
		ReminderSubjectNoSender: "Erinnerung: eine kurze Frage an Sie",
		Intro:                   "%s würde sich über Ihre Meinung freuen. Ein Klick genügt: Wählen Sie unten eine Zahl.",
		IntroNoSender:           "Wir würden uns über Ihre Meinung freuen. Ein Klick genügt: Wählen Sie unten eine Zahl.",
		ReminderIntro:           "Eine kurze Erinnerung: %s würde sich weiterhin über Ihre Meinung freuen. Ein Klick genügt: Wählen Sie unten eine Zahl.",
		ReminderIntroNoSender:   "Eine kurze Erinnerung: Wir würden uns weiterhin über Ihre Meinung freuen. Ein Klick genügt: Wählen Sie unten eine Zahl.",
		Preheader:               "Die Antwort dauert nur einen Klick und hilft uns, besser zu werden.",
		WhyReceived:             "Sie erhalten diese E-Mail, weil Sie kürzlich mit uns in Kontakt waren.",
		Unsubscribe:             "Abmelden",

		AlertSubject:         "Detraktor-Warnung: Ein Kunde hat in „%[2]s“ mit %[1]d geantwortet",
		AlertSubjectNoSurvey: "Detraktor-Warnung: Ein Kunde hat mit %d geantwortet",
		AlertIntro:           "Ein Kunde hat mit %d geantwortet",
		Survey:               "Umfrage",
		Score:                "Bewertung",
		Reasons:              "Gründe",
		Comment:              "Kommentar",
		Respondent:           "Befragte Person",
		Channel:              "Kanal",
		ViewResponses:        "Antworten ansehen",
		OpenCase:             "Diesen Fall nachverfolgen",
		AlertFooter:          "Sie erhalten diese Warnung, weil ein Kunde eine Bewertung von 0 bis 6 abgegeben hat.",

		Why:                "Was ist der Hauptgrund für Ihre Bewertung?",
		CommentLabel:       "Möchten Sie uns noch etwas mitteilen? (optional)",
		Send:               "Senden",
		Thanks:             "Vielen Dank für Ihr Feedback!",
		ThanksScore:        "Ihre Bewertung (%d) wurde gespeichert.",
		ThanksText:         "Ihre Antwort geht direkt an das Team und hilft uns, besser zu werden.",
		CloseHint:          "Sie können diese Seite jetzt schließen.",
		Unsubscribed:       "Sie wurden abgemeldet und erhalten diese Umfragen nicht mehr.",
		UnsubscribeConfirm: "Von diesen Umfragen abmelden?",
		UnsubscribeButton:  "Abmelden",
		LinkExpired:        "Dieser Link ist abgelaufen und kann nicht mehr zum Antworten verwendet werden.",
		LinkInvalid:        "Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig geöffnet oder kopiert haben.",
	},
}

// Texts returns the strings of a language: "en", "es", "fr" or "de". A region
// or script suffix is ignored ("fr-CA", "es_MX", "DE" work); any other
// language falls back to English.
func Texts(lang string) Text {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	if t, ok := texts[lang]; ok {
		return t
	}
	return texts["en"]
}
