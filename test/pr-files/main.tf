# IAM for the app-api service. Braces in comments { must not confuse the scanner.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

variable "bucket" {
  type    = string
  default = "acme-${terraform.workspace}-data" // interpolation with } inside
}

/* A block comment with a fake block:
data "aws_iam_policy_document" "app" { statement {} }
*/
module "queue" {
  source = "./modules/queue"
  name   = "orders-${var.bucket}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app_api" {
  name               = "app-api"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "app" {
  version = "2012-10-17"

  # the wildcard grant we want to trim
  statement {
    sid       = "Everything"
    actions   = ["s3:*"]
    resources = ["*"]
  }

  statement {
    effect    = "Allow"
    actions   = ["dynamodb:*"] # app-api-data as IAM has it
    resources = ["*"]
  }
}

resource "aws_iam_policy" "app" {
  name   = "app-api"
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_role_policy" "legacy" {
  name = "legacy-inline"
  role = aws_iam_role.app_api.id
  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]
    }
    EOF
}

resource "aws_iam_policy" "encoded" {
  name        = "encoded"
  description = "a \"quoted\" } description"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["kms:*"] # trailing comment
        Resource = "*"
      },
    ]
  }) # keep me
  tags = { team = "platform" }
}

output "policy_arn" {
  value = aws_iam_policy.app.arn
}
