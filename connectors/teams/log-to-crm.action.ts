/** The message extension's action command id: manifest.json's composeExtensions[0].commands[0].id. */
export const LOG_TO_CRM_COMMAND_ID = 'logToCrm';
