# Policies that refer to other resources: the references must survive a rewrite.
resource "aws_s3_bucket" "orders" {
  bucket = "orders"
}

resource "aws_iam_policy" "encoded" {
  name = "orders-api"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:*"]
        Resource = [aws_s3_bucket.orders.arn, "${aws_s3_bucket.orders.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = "dynamodb:*"
        Resource = "arn:aws:dynamodb:eu-west-1:${var.account}:table/orders"
      },
    ]
  })
}

resource "aws_iam_role_policy" "heredoc" {
  name   = "orders-worker"
  role   = "worker"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": ["${aws_s3_bucket.orders.arn}", "${aws_s3_bucket.orders.arn}/*"]},
    {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:eu-west-1:${var.account}:table/orders"}
  ]
}
EOF
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.orders.arn, "${aws_s3_bucket.orders.arn}/*"]
  }
  statement {
    actions   = ["dynamodb:*"]
    resources = ["arn:aws:dynamodb:eu-west-1:${var.account}:table/orders"]
  }
}
