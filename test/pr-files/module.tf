// A module file: ugly but valid HCL around the policy.
locals {
  names   = [for n in var.queues : upper(n) if n != ""]
  by_name = { for q in var.queues : q => "${q}-dlq" }
  arn     = var.enabled ? "arn:aws:sqs:*:*:${local.names[0]}" : null
  tpl     = "%{ for q in var.queues }${q},%{ endfor }"
}

resource "aws_instance" "worker" {
  count         = var.enabled ? 1 : 0
  ami           = data.aws_ami.al2.id
  instance_type = "t3.micro"
  user_data     = <<EOT
#!/bin/bash
echo "{ unbalanced" > /tmp/x   # } ) ]
cat <<'INNER'
}}}
INNER
EOT

  dynamic "ebs_block_device" {
    for_each = var.volumes
    content {
      device_name = ebs_block_device.value.name # "quoted } in comment
    }
  }
}

data "aws_iam_policy_document" "worker" {
  count = var.enabled ? 1 : 0 /* meta-argument kept */

  statement {
    actions   = ["sqs:*"]
    resources = [local.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalTag/team"
      values   = ["${var.team}"]
    }
  }
  statement { actions = ["s3:*"] }
}

resource "aws_iam_role_policy" "worker" {
  count  = var.enabled ? 1 : 0
  role   = aws_iam_role.worker[0].id
  policy = data.aws_iam_policy_document.worker[0].json
}
