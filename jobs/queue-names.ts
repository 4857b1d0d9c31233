/** Every BullMQ queue Rapport uses. Kebab-case names; the key prefix comes from RAPPORT_QUEUE_PREFIX. */
export enum QueueName {
  ClassifyCommunication = 'classify-communication',
  DeliverMessage = 'deliver-message',
  FollowUpReminder = 'follow-up-reminder',
  EscalateOverdue = 'escalate-overdue',
  DailyDigest = 'daily-digest',
  WeeklyInsights = 'weekly-insights',
  RefreshInsights = 'refresh-insights',
  RetrainModel = 'retrain-model',
  ReconcileSchedules = 'reconcile-schedules',
  PruneRetention = 'prune-retention',
  DecideHeldAuthor = 'decide-held-author',
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);
