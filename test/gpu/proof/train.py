# A small real training for the GPU proof: an MLP on scikit-learn's digits,
# read from the job's dataset, on the GPU the runner assigned.
import json
import os
import time

import numpy as np
import torch
from torch import nn

inp, out = os.environ["KQI_INPUT_DIR"], os.environ["KQI_OUTPUT_DIR"]
path = next(os.path.join(r, f) for r, _, fs in os.walk(inp, followlinks=True) for f in fs if f == "digits.npz")
print("CUDA_VISIBLE_DEVICES=%s" % os.environ.get("CUDA_VISIBLE_DEVICES"), flush=True)
print("device_count=%d name=%s" % (torch.cuda.device_count(), torch.cuda.get_device_name(0)), flush=True)
print("visible_uuid=%s" % torch.cuda.get_device_properties(0).uuid, flush=True)

d = np.load(path)
x = torch.tensor(d["X"], dtype=torch.float32, device="cuda") / 16.0
y = torch.tensor(d["y"], dtype=torch.long, device="cuda")
g = torch.Generator().manual_seed(0)
perm = torch.randperm(len(x), generator=g).cuda()
train, test = perm[:1500], perm[1500:]
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10)).cuda()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
hold = float(os.environ.get("HOLD_SECONDS", "0"))
start = time.time()
for epoch in range(1, 201):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x[train]), y[train])
    loss.backward()
    opt.step()
    if epoch % 40 == 0:
        with torch.no_grad():
            acc = (model(x[test]).argmax(1) == y[test]).float().mean().item()
        print("epoch %d loss %.4f test_accuracy %.4f" % (epoch, loss.item(), acc), flush=True)
torch.cuda.synchronize()
print("trained in %.2f s" % (time.time() - start), flush=True)
os.makedirs(os.path.join(out, "model"), exist_ok=True)
torch.save(model.state_dict(), os.path.join(out, "model", "mlp.pt"))
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump({"test_accuracy": acc, "device": torch.cuda.get_device_name(0)}, f)
if hold:
    time.sleep(hold)  # keeps the GPU held, for the queueing check
assert acc > 0.9, acc
