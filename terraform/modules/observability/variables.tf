variable "name" {
  description = "Prefix of the alarms and the SNS topic; the dashboard is <name>-<region> (dashboard names are unique per account, across regions)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,180}$", var.name))
    error_message = "name must be 1-180 letters, digits, '-' or '_'."
  }
}

variable "region" {
  description = "Region the metrics live in (shown by the dashboard)."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (LoadBalancer dimension)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (TargetGroup dimension)."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster name (ClusterName dimension)."
  type        = string
}

variable "service_name" {
  description = "ECS service name (ServiceName dimension)."
  type        = string
}

variable "log_group_name" {
  description = "Log group of the service; the dashboard shows its latest error lines. Null leaves that widget out."
  type        = string
  default     = null
}

variable "error_rate_threshold_percent" {
  description = "Alarm when 5xx answers exceed this share of requests: all of them (targets and load balancer) for the 5xx-rate alarm, the targets' own for the target-5xx-rate alarm that deployments roll back on."
  type        = number
  default     = 1

  validation {
    condition     = var.error_rate_threshold_percent > 0 && var.error_rate_threshold_percent <= 100
    error_message = "error_rate_threshold_percent must be above 0 and at most 100."
  }
}

variable "p99_latency_threshold_s" {
  description = "Alarm when the p99 target response time exceeds this many seconds."
  type        = number
  default     = 0.25

  validation {
    condition     = var.p99_latency_threshold_s > 0
    error_message = "p99_latency_threshold_s must be positive."
  }
}

variable "evaluation_periods" {
  description = "One-minute periods an alarm condition must hold (in datapoints_to_alarm of them) before the alarm fires."
  type        = number
  default     = 5

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 60
    error_message = "evaluation_periods must be from 1 to 60."
  }
}

variable "datapoints_to_alarm" {
  description = "Breaching one-minute datapoints, out of evaluation_periods, that fire an alarm."
  type        = number
  default     = 3

  validation {
    condition     = var.datapoints_to_alarm >= 1 && var.datapoints_to_alarm <= 60
    error_message = "datapoints_to_alarm must be from 1 to 60 (and at most evaluation_periods, checked at plan time)."
  }
}

variable "alarm_actions" {
  description = "Further ARNs (e.g. an existing SNS topic) notified when an alarm fires and when it clears."
  type        = list(string)
  default     = []
}

variable "sns_topic" {
  description = "Create an SNS topic <name>-alarms that every alarm notifies (also created when alarm_email is set)."
  type        = bool
  default     = false
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (AWS mails a confirmation link first); null: no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "min_running_tasks" {
  description = "Alarm when fewer tasks than this run (ECS/ContainerInsights RunningTaskCount; needs Container Insights on the cluster). 0 leaves the alarm out."
  type        = number
  default     = 0

  validation {
    condition     = var.min_running_tasks >= 0 && floor(var.min_running_tasks) == var.min_running_tasks
    error_message = "min_running_tasks must be a whole number >= 0."
  }
}

variable "tags" {
  description = "Extra tags for the alarms."
  type        = map(string)
  default     = {}
}
