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
  description = "ARN of the task role (application: no permissions, or s3:GetObject on catalog_object); known only once that policy is attached, so the catalog's init container can read the object."
  value       = aws_iam_role.task.arn

  depends_on = [aws_iam_role_policy.catalog]
}

output "task_role_name" {
  description = "Name of the task role."
  value       = aws_iam_role.task.name
}
