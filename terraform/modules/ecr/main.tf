# The image repository: scan on push, encrypted, immutable tags (but "latest"), and a
# lifecycle policy: release images (tags starting with var.release_tag_prefixes) are kept,
# the newest var.keep_release_images of them; of the rest, the newest var.keep_last_images.
# ECR never lets a rule expire an image that a rule of higher priority (a lower number)
# selects, so rule 1 protects the releases from rule 2 ("any" must be the last rule).

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = var.image_tag_mutability
  force_delete         = var.force_delete

  dynamic "image_tag_mutability_exclusion_filter" {
    for_each = var.image_tag_mutability == "IMMUTABLE_WITH_EXCLUSION" ? var.mutable_tags : []
    content {
      filter      = image_tag_mutability_exclusion_filter.value
      filter_type = "WILDCARD"
    }
  }

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = concat(
      length(var.release_tag_prefixes) == 0 ? [] : [{
        rulePriority = 1
        description  = "Keep the newest ${var.keep_release_images} release images (${join(", ", var.release_tag_prefixes)}...)"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = var.release_tag_prefixes
          countType     = "imageCountMoreThan"
          countNumber   = var.keep_release_images
        }
        action = { type = "expire" }
      }],
      [{
        rulePriority = 2
        description  = "Keep the newest ${var.keep_last_images} other images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_last_images
        }
        action = { type = "expire" }
      }],
    )
  })
}
