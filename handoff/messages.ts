/** What the handoff feature says to customers, in the languages the bot speaks. */
export interface HandoffMessages {
  /** Sent when a handoff starts. */
  joining: string;
  /** The CSAT question when the agent resolves and the bot takes over again. */
  csat: string;
  /** When the hub could not take the conversation: the bot carries on. */
  hubFailed: string;
  /** Waypoint: the customer has waited longer than the configured time. */
  waitingLong: string;
  /** Waypoint: nobody is online to take the conversation. */
  noAgentOnline: string;
}

export const handoffMessages: Record<'en' | 'es', HandoffMessages> = {
  en: {
    joining: 'I am bringing in a person from our team. They will join this chat in a moment.',
    csat: 'Thanks for your patience. How would you rate the help you got, from 1 (poor) to 5 (great)?',
    hubFailed: 'Sorry, nobody from our team can take this right now. I will keep helping you here.',
    waitingLong:
      'Thanks for waiting. Would you rather we call you back or answer by email? Reply "call me" or "email me".',
    noAgentOnline:
      'Nobody from our team is online right now. Reply with your email address and we will answer by email within one business day.',
  },
  es: {
    joining: 'Te paso con una persona de nuestro equipo. Se unirá a este chat en un momento.',
    csat: 'Gracias por tu paciencia. ¿Cómo valorarías la ayuda recibida, del 1 (mala) al 5 (excelente)?',
    hubFailed: 'Lo siento, ahora nadie de nuestro equipo puede atenderte. Sigo ayudándote por aquí.',
    waitingLong:
      'Gracias por esperar. ¿Prefieres que te llamemos o que te respondamos por correo? Responde "llamadme" o "correo".',
    noAgentOnline:
      'Ahora no hay nadie de nuestro equipo conectado. Responde con tu correo y te contestaremos por correo en un día laborable.',
  },
};

/** The messages in the customer's language (`es-MX` → Spanish), English otherwise. */
export function messagesFor(language: string | undefined): HandoffMessages {
  return language?.toLowerCase().startsWith('es') ? handoffMessages.es : handoffMessages.en;
}
