"""绩效自评 scorer: import 绩效目标表, enter 实际完成值, score by policy, review and publish."""
