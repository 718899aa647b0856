document.body.textContent = 'Fine-tune panel';
