output "execution_role_arn" {
  description = "ARN of the task execution role (ECS agent); known only once its policy is attached, so no task starts without permission to pull the image."
  value       = aws_iam_role.execution.arn

  depends_on = [aws_iam_role_policy_attachment.execution]
}

output "execution_role_name" {
  description = "Name of the task execution role."
  value       = aws_iam_role.execution.name
}

output "task_role_arn" {
  description = "ARN of the task role (application; no permissions)."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role."
  value       = aws_iam_role.task.name
}
